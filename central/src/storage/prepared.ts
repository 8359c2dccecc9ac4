import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { PREPARED_MARK, preparedName } from './prepared-mark.js';

/**
 * A statement of a hot path (a booking: docs/BENCHMARKS.md "reservations"), prepared once per
 * connection instead of parsed and planned at every call. On PostgreSQL it goes out as a named
 * statement (pg skips the Parse once the connection has it; the server keeps the plan); on
 * PGlite the thread parses it once and then sends Bind, Execute and Sync in one call instead of
 * the six PGlite's `query` makes (pglite-prepared.ts). The text must be the same at every call
 * (the parameters vary): build it once, at module load.
 *
 * Inside a transaction (Kysely's `transaction()`), on PGlite, the statement runs as an ordinary
 * one: the mark is a comment.
 */
export function preparedStatement(
  name: string,
  text: string,
): (params: readonly unknown[]) => CompiledQuery {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`bad prepared statement name "${name}"`);
  const sql = `${PREPARED_MARK}${name} */ ${text}`;
  return (params) => CompiledQuery.raw(sql, [...params]);
}

/**
 * pg's client, sending a marked statement (Kysely gives pg the text and the values) as a named
 * one. Given to the pool as its `Client` (database.ts).
 */
export class PreparingClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    // One implementation for pg's overloads: anything but (marked text, values) goes on unchanged.
    this.query = ((...args: unknown[]) => {
      const [config, values, callback] = args;
      const name = typeof config === 'string' ? preparedName(config) : undefined;
      if (name === undefined || typeof values === 'function') return query(...args);
      return query({ name, text: config, values }, callback);
    }) as pg.Client['query'];
  }
}
