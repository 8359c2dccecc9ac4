import { reconcile } from './reconcile.js';
import { openCentralStore, readCentral, readEdgeLog, readTruth } from './sources.js';
import type { ReconcileReport } from './types.js';

export interface CheckOptions {
  /** PGlite directory (or central data dir) or a postgres:// URL. */
  centralDb: string;
  /** The edge's LevelDB log directory (`<edge dataDir>/log`). */
  edgeLog: string;
  edgeId: string;
  /** JSON-lines ground-truth file. */
  truth?: string;
}

/** Reads the three witnesses and reconciles them (the CLI, and the fault tests' final check). */
export async function check(options: CheckOptions): Promise<ReconcileReport> {
  const edge = await readEdgeLog(options.edgeLog);
  const database = await openCentralStore(options.centralDb);
  try {
    const central = await readCentral(database, options.edgeId);
    const truth = options.truth ? await readTruth(options.truth) : undefined;
    return reconcile(edge, central, truth);
  } finally {
    await database.close();
  }
}
