import type { Kysely } from 'kysely';
import { jsonbDocument, storeBatch } from '../../ingest/index.js';
import type { Schema } from '../../storage/index.js';

/**
 * The stream of readings posted at the terminal (`/postConsumo`): the seed D edge's stream under
 * this epoch, beside the edge's own. Readings enter through the ingest's store (storeBatch): one
 * seq each above the stream's mark, stored exactly once, then rolled up like the edge's readings.
 */
export const TERMINAL_EPOCH = 'seed-d-terminal';

/** The reading value seed D meters carry (the edge's udp-meter `valueName` default). */
export const INTERVAL_VALUE = 'energy_interval';

export interface ManualReading {
  edgeId: string;
  /** The meter's device id on the edge, and its meter row. */
  deviceId: string;
  meterRowId: number;
  ts: number;
  kwh: number;
}

/**
 * Attempts when other centrals on the same database keep taking the next seq first. Each lost
 * attempt means another post was stored (lock-free: the writers as a whole always progress), so
 * this bounds only how long one post may keep losing to a burst of others.
 */
const MAX_ATTEMPTS = 1000;

/**
 * Stores manual readings one at a time per process (a chain), each as a one-reading batch at the
 * stream's next seq. Another process may take that seq first: storeBatch (which locks the mark)
 * then answers `duplicate` without storing, and the reading is tried again at the new mark. So
 * each call stores its reading once, never twice, never none (or throws after MAX_ATTEMPTS).
 */
export class ManualReadings {
  #chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Kysely<Schema>) {}

  store(r: ManualReading): Promise<{ seq: number }> {
    const next = this.#chain.then(() => this.#store(r));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #store(r: ManualReading): Promise<{ seq: number }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const row = await this.db
        .selectFrom('ingest_streams')
        .select('up_to')
        .where('edge_id', '=', r.edgeId)
        .where('epoch', '=', TERMINAL_EPOCH)
        .executeTakeFirst();
      const seq = Number(row?.up_to ?? 0) + 1;
      const reading = {
        seq,
        deviceId: r.deviceId,
        ts: r.ts,
        quality: 'good',
        values: { [INTERVAL_VALUE]: r.kwh },
      };
      const outcome = await storeBatch(
        this.db,
        {
          edgeId: r.edgeId,
          epoch: TERMINAL_EPOCH,
          firstSeq: seq,
          lastSeq: seq,
          dropped: 0,
          droppedUpTo: 0,
          deviceIds: [r.deviceId],
          rows: { kind: 'json', doc: jsonbDocument(JSON.stringify([reading])) },
          quarantine: [],
        },
        new Map([[r.deviceId, r.meterRowId]]),
      );
      if (outcome.kind === 'stored') return { seq };
    }
    throw new Error(`manual reading: the stream's seq kept moving (${MAX_ATTEMPTS} attempts)`);
  }
}
