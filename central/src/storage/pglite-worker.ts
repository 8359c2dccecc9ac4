/**
 * The thread that runs PGlite (pglite-thread.ts). PGlite executes each statement on its own
 * thread without yielding; here that thread is not the one that runs the broker and the HTTP
 * server, so a long COPY no longer holds up the sockets. Requests run as they arrive; PGlite's
 * own lock orders them exactly as it would in-process (a query waits for an open transaction).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction, types } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { PGlitePrepared } from './pglite-prepared.js';
import {
  type PGliteRequest,
  type PGliteResponse,
  type PGliteStartup,
  serializeError,
} from './pglite-protocol.js';
import type { PGliteAssets } from './pglite-thread.js';
import { preparedName } from './prepared-mark.js';

const port = parentPort;
if (!port) throw new Error('pglite-worker runs as a worker thread');
const { dataDir, assets, template } = workerData as {
  dataDir?: string;
  assets: PGliteAssets;
  /** A migrated database to start from instead of initdb (template-cache.ts). */
  template?: Uint8Array;
};

const jsonb = types.serializers[types.JSONB] as (value: unknown) => string;
let pglite: PGlite;
try {
  pglite = await PGlite.create({
    dataDir,
    ...(template ? { loadDataDir: new Blob([template]) } : {}),
    ...assets,
    extensions: { btree_gist },
    // Bytes given for a jsonb parameter are already jsonb's binary format (ingest/jsonb-document.ts):
    // PGlite sends them as a binary parameter, as node-postgres does with a Buffer.
    serializers: {
      [types.JSONB]: (value: unknown) =>
        (value instanceof Uint8Array ? value : jsonb(value)) as string,
    },
  });
} catch (err) {
  port.postMessage({ type: 'failed', error: serializeError(err) } satisfies PGliteStartup);
  throw err;
}

interface OpenTransaction {
  tx: Transaction;
  /** Ends the transaction: commit, or roll back. */
  finish: (commit: boolean) => void;
  /** Settles when PGlite has committed or rolled it back. */
  done: Promise<unknown>;
}

const open = new Map<number, OpenTransaction>();
const prepared = new PGlitePrepared(pglite);

async function begin(id: number): Promise<void> {
  let finish!: (commit: boolean) => void;
  const finished = new Promise<boolean>((resolve) => {
    finish = resolve;
  });
  let began!: (tx: Transaction) => void;
  const started = new Promise<Transaction>((resolve) => {
    began = resolve;
  });
  const done = pglite.transaction(async (tx) => {
    began(tx);
    if (!(await finished)) await tx.rollback();
  });
  // BEGIN itself may fail: then `done` rejects before the body runs.
  const tx = await Promise.race([started, done.then(() => undefined)]);
  if (!tx) throw new Error('the transaction ended before it began');
  open.set(id, { tx, finish, done });
}

async function run(
  request: PGliteRequest,
): Promise<Omit<PGliteResponse & { ok: true }, 'id' | 'ok'>> {
  switch (request.op) {
    case 'query': {
      // A marked statement (prepared.ts) outside a transaction: parsed once, then one call.
      if (request.tx === undefined && !request.blob && preparedName(request.sql) !== undefined)
        return prepared.run(request.sql, request.params);
      const on = request.tx === undefined ? pglite : open.get(request.tx)?.tx;
      if (!on) throw new Error(`transaction ${request.tx} is not open`);
      const result = await on.query(request.sql, request.params, {
        rowMode: 'object',
        ...(request.blob ? { blob: new Blob([request.blob]) } : {}),
      });
      return { rows: result.rows, affectedRows: result.affectedRows ?? 0 };
    }
    case 'begin':
      await begin(request.id);
      return { tx: request.id };
    case 'end': {
      const t = open.get(request.tx);
      if (!t) throw new Error(`transaction ${request.tx} is not open`);
      open.delete(request.tx);
      t.finish(request.commit);
      await t.done;
      return {};
    }
    case 'dump':
      return { bytes: await (await pglite.dumpDataDir('gzip')).arrayBuffer() };
    case 'close':
      await pglite.close();
      return {};
  }
}

port.on('message', (request: PGliteRequest) => {
  run(request).then(
    (result) =>
      port.postMessage(
        { id: request.id, ok: true, ...result } satisfies PGliteResponse,
        result.bytes ? [result.bytes] : [],
      ),
    (err: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        error: serializeError(err),
      } satisfies PGliteResponse),
  );
});
port.postMessage({ type: 'ready' } satisfies PGliteStartup);
