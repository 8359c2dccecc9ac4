/**
 * The reconciliation checker from the command line:
 *   node --import tsx deploy/reconcile/cli.ts --central-db <pglite dir | postgres url>
 *        --edge-log <dir> --edge-id <id> [--truth <file>] [--json]
 * Exit 0 when nothing is lost or duplicated, 1 when something is, 2 on bad usage.
 */
import { parseArgs } from 'node:util';
import { check } from './check.js';
import { formatTotals } from './reconcile.js';

const HELP = `reconcile — compare what an edge committed with what the central stored

Usage: node --import tsx deploy/reconcile/cli.ts --central-db DB --edge-log DIR --edge-id ID [options]

Options:
  --central-db DB   the central's store: a postgres:// URL, or a PGlite directory (the central's
                    --data-dir, or its db/ directory). Stop a PGlite central first (one opener).
  --edge-log DIR    the edge's LevelDB reading log (<edge dataDir>/log). Stop the edge first.
  --edge-id ID      the edge whose readings to reconcile
  --truth FILE      optional ground truth: JSON lines {"deviceId","values"}, one per snapshot a
                    simulated device served; stored values it never served are reported
  --json            print the report as JSON instead of one line of totals
  -h, --help        show this help

Totals: committed (seqs 1..lastSeq of the log's epoch), stored, quarantined (set aside at ingest
as invalid: accounted for, not lost), lost (committed, neither stored, quarantined, pending in the
log nor covered by the edge's drop accounting), duplicated (rows repeating a (stream, seq) or a
(meter, ts, values), or a seq both stored and quarantined), countedDrops (the edge's drop
counter), pending, droppedMissing, gapSeqs (the central's ingest_gaps), phantom (stored or
quarantined seqs never committed).
Exit codes: 0 nothing lost or duplicated, 1 something lost, duplicated or phantom, 2 bad usage.`;

function usage(message: string): never {
  process.stderr.write(`reconcile: ${message}\nRun with --help for usage.\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      options: {
        'central-db': { type: 'string' },
        'edge-log': { type: 'string' },
        'edge-id': { type: 'string' },
        truth: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const centralDb = values['central-db'];
  const edgeLog = values['edge-log'];
  const edgeId = values['edge-id'];
  if (typeof centralDb !== 'string') usage('--central-db is required');
  if (typeof edgeLog !== 'string') usage('--edge-log is required');
  if (typeof edgeId !== 'string') usage('--edge-id is required');
  const truth = typeof values.truth === 'string' ? values.truth : undefined;
  const report = await check({ centralDb, edgeLog, edgeId, truth });
  process.stdout.write(
    values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatTotals(report)}\n`,
  );
  const t = report.totals;
  if (t.lost > 0 || t.duplicated > 0 || t.phantom > 0 || (t.unserved ?? 0) > 0) process.exit(1);
}

main().catch((err: Error) => {
  process.stderr.write(`reconcile: ${err.message}\n`);
  process.exit(1);
});
