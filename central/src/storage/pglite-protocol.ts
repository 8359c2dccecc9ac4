/**
 * Messages between the central's main thread and the thread that runs PGlite (pglite-thread.ts,
 * pglite-worker.ts). Every request carries an id and gets one response with that id.
 */
export type PGliteRequest = { id: number } & PGliteOp;

export type PGliteOp =
  | {
      op: 'query';
      sql: string;
      params: unknown[];
      /** COPY … FROM '/dev/blob' data, moved to the thread (not copied). */
      blob?: ArrayBuffer;
      /** Runs inside this open transaction; without it the query waits for none to be open. */
      tx?: number;
    }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  /** The whole database as a gzipped tarball (PGlite's dumpDataDir): a template's bytes. */
  | { op: 'dump' }
  | { op: 'close' };

export type PGliteResponse =
  | {
      id: number;
      ok: true;
      rows?: unknown[];
      affectedRows?: number;
      tx?: number;
      /** A dump's tarball, moved (not copied) to the caller. */
      bytes?: ArrayBuffer;
    }
  | { id: number; ok: false; error: SerializedError };

/** Sent once by the thread: PGlite is open, or it failed to open. */
export type PGliteStartup = { type: 'ready' } | { type: 'failed'; error: SerializedError };

/**
 * A database error's fields (message, SQLSTATE `code`, `detail`, `constraint`…): structured
 * cloning keeps an Error's message but drops its own properties, which callers test.
 */
export type SerializedError = { message: string; name: string } & Record<string, unknown>;

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const out: SerializedError = { name: err.name, message: err.message };
  for (const [key, value] of Object.entries(err)) {
    if (value === undefined || typeof value === 'function' || typeof value === 'object') continue;
    out[key] = value;
  }
  return out;
}

export function deserializeError(fields: SerializedError): Error {
  const { message, name, ...rest } = fields;
  const err = Object.assign(new Error(message), rest);
  err.name = name;
  return err;
}
