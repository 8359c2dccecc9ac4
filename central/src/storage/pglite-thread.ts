import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { PGliteOptions } from '@electric-sql/pglite';
import { moduleWorker } from '../threads/index.js';
import {
  deserializeError,
  type PGliteOp,
  type PGliteRequest,
  type PGliteResponse,
  type PGliteStartup,
} from './pglite-protocol.js';

/** PGlite's WebAssembly, compiled once per process and shared by every thread that opens it. */
export type PGliteAssets = Required<
  Pick<PGliteOptions, 'pgliteWasmModule' | 'initdbWasmModule' | 'fsBundle'>
>;

/** Node's WebAssembly (the project's `lib` setting carries no WebAssembly types). */
const { WebAssembly: wasm } = globalThis as unknown as {
  WebAssembly: { compile(bytes: Uint8Array): Promise<PGliteAssets['pgliteWasmModule']> };
};

let assets: Promise<PGliteAssets> | undefined;

/**
 * PGlite's dist folder (its wasm, data and package.json beside it). By require's resolution:
 * import.meta.resolve is missing where vitest runs its global setup.
 */
export function pgliteDist(): URL {
  return new URL(
    '.',
    pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')),
  );
}

function pgliteAssets(): Promise<PGliteAssets> {
  assets ??= (async () => {
    const dist = pgliteDist();
    const [pglite, initdb, bundle] = await Promise.all(
      ['pglite.wasm', 'initdb.wasm', 'pglite.data'].map((f) => readFile(new URL(f, dist))),
    );
    return {
      pgliteWasmModule: await wasm.compile(pglite as Buffer),
      initdbWasmModule: await wasm.compile(initdb as Buffer),
      fsBundle: new Blob([bundle as Buffer]),
    };
  })();
  assets.catch(() => {
    assets = undefined;
  });
  return assets;
}

/** An ArrayBuffer holding exactly `bytes`: its own when the view spans all of it, else a copy. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = bytes;
  if (buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength)
    return buffer;
  return new Uint8Array(bytes).buffer; // a copy (Buffer#slice would be a view)
}

/** What a query returns: the shape Kysely's PGlite dialect reads. */
export interface PGliteResults<T> {
  rows: T[];
  affectedRows?: number;
  fields: Array<{ name: string; dataTypeID: number }>;
}

export interface PGliteQueryOptions {
  /**
   * What COPY … FROM '/dev/blob' reads, handed over: a view that spans its whole buffer is moved
   * to the thread (the caller must not use it afterwards), any other is copied.
   */
  blobBytes?: Uint8Array;
  rowMode?: 'object';
}

export interface PGliteTransaction {
  query<T>(
    sql: string,
    params?: unknown[],
    options?: PGliteQueryOptions,
  ): Promise<PGliteResults<T>>;
  rollback(): Promise<void>;
}

interface Waiter {
  resolve: (response: PGliteResponse & { ok: true }) => void;
  reject: (err: Error) => void;
}

/**
 * PGlite on a thread of its own (pglite-worker.ts), behind the interface Kysely's PGlite dialect
 * and the COPY session use: `query`, `transaction`, `close`. PGlite runs each statement without
 * yielding; on the main thread a 5,000-row COPY kept the broker's sockets unread for its whole
 * length, so the decode thread and the edges waited on the database instead of overlapping it
 * (docs/WIRE.md, step 8). Rows and errors cross by structured clone; a database error keeps its
 * SQLSTATE `code` and other fields.
 */
export class PGliteThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 1;
  #exited: Error | undefined;
  ready = false;
  closed = false;
  readonly waitReady: Promise<void>;

  private constructor(worker: Worker, started: Promise<void>) {
    this.#worker = worker;
    this.waitReady = started;
  }

  /**
   * Starts the thread and opens PGlite in `dataDir` (in memory without one). With a `template`
   * (a tarball from `dump`) the new database is a copy of it instead of a fresh initdb; `dataDir`
   * must then hold no database yet.
   */
  static async open(dataDir?: string, template?: Uint8Array): Promise<PGliteThread> {
    const worker = moduleWorker(import.meta.url, 'pglite-worker', {
      workerData: { dataDir, assets: await pgliteAssets(), ...(template ? { template } : {}) },
    });
    const started = new Promise<void>((resolve, reject) => {
      const onStartup = (message: PGliteStartup) => {
        if (message.type === 'ready') resolve();
        else reject(deserializeError(message.error));
      };
      worker.once('message', onStartup);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the PGlite thread exited (${code})`)));
    });
    const thread = new PGliteThread(worker, started);
    try {
      await started;
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    thread.#listen();
    thread.ready = true;
    worker.unref(); // ref'd only while a request is out: an idle database keeps no process alive
    return thread;
  }

  async query<T>(
    sql: string,
    params: unknown[] = [],
    options: PGliteQueryOptions = {},
  ): Promise<PGliteResults<T>> {
    return this.#query<T>(sql, params, options);
  }

  /**
   * Runs `body` in a transaction: committed when it resolves, rolled back when it throws or calls
   * `rollback`. Other queries wait until it ends, as in PGlite.
   */
  async transaction<T>(body: (tx: PGliteTransaction) => Promise<T>): Promise<T> {
    const { tx } = await this.#request({ op: 'begin' });
    if (tx === undefined) throw new Error('the PGlite thread opened no transaction');
    let ended = false;
    const end = async (commit: boolean) => {
      if (ended) return;
      ended = true;
      await this.#request({ op: 'end', tx, commit });
    };
    const handle: PGliteTransaction = {
      query: <R>(sql: string, params: unknown[] = [], options: PGliteQueryOptions = {}) => {
        if (ended) return Promise.reject(new Error('Transaction is closed'));
        return this.#query<R>(sql, params, options, tx);
      },
      rollback: () => end(false),
    };
    let result: T;
    try {
      result = await body(handle);
    } catch (err) {
      await end(false).catch(() => undefined);
      throw err;
    }
    await end(true);
    return result;
  }

  /** The whole database as a gzipped tarball, which `open` can start another one from. */
  async dump(): Promise<Uint8Array> {
    const { bytes } = await this.#request({ op: 'dump' });
    if (!bytes) throw new Error('the PGlite thread sent no dump');
    return new Uint8Array(bytes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.#exited) await this.#request({ op: 'close' });
    } finally {
      await this.#worker.terminate();
    }
  }

  async #query<T>(
    sql: string,
    params: unknown[],
    options: PGliteQueryOptions,
    tx?: number,
  ): Promise<PGliteResults<T>> {
    const blob = options.blobBytes ? ownBuffer(options.blobBytes) : undefined;
    const response = await this.#request(
      {
        op: 'query',
        sql,
        params,
        ...(blob ? { blob } : {}),
        ...(tx === undefined ? {} : { tx }),
      },
      blob ? [blob] : [],
    );
    return {
      rows: (response.rows ?? []) as T[],
      affectedRows: response.affectedRows ?? 0,
      fields: [],
    };
  }

  #request(body: PGliteOp, transfer: ArrayBuffer[] = []): Promise<PGliteResponse & { ok: true }> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.#waiting.size === 0) this.#worker.ref();
      this.#waiting.set(id, { resolve, reject });
      this.#worker.postMessage({ ...body, id } satisfies PGliteRequest, transfer);
    });
  }

  #listen(): void {
    this.#worker.on('message', (response: PGliteResponse) => {
      const waiter = this.#waiting.get(response.id);
      if (!waiter) return;
      this.#waiting.delete(response.id);
      if (this.#waiting.size === 0) this.#worker.unref();
      if (response.ok) waiter.resolve(response);
      else waiter.reject(deserializeError(response.error));
    });
    const lost = (err: Error) => {
      this.#exited ??= err;
      this.closed = true;
      for (const waiter of this.#waiting.values()) waiter.reject(err);
      this.#waiting.clear();
    };
    this.#worker.on('error', (err) => lost(new Error(`the PGlite thread failed: ${err.message}`)));
    this.#worker.on('exit', (code) => lost(new Error(`the PGlite thread exited (${code})`)));
  }
}
