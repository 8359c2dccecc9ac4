import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Test and benchmark tooling (not used by the service): the PostgreSQL server the scale-out half
 * of the suites runs against. CI has one on 127.0.0.1:5432 with trust auth; set
 * GRIDLINK_TEST_PG_URL to use another. It must allow CREATE DATABASE.
 */
export const PG_ADMIN_URL =
  process.env.GRIDLINK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function postgresReachable(adminUrl = PG_ADMIN_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether a suite that needs PostgreSQL can run. The project's rule for a missing system tool:
 * under CI=true it is a failure (throws); on a laptop the suite is skipped with a loud notice
 * naming it, never silently.
 */
export async function requirePostgres(suite: string, adminUrl = PG_ADMIN_URL): Promise<boolean> {
  if (await postgresReachable(adminUrl)) return true;
  if (process.env.CI === 'true')
    throw new Error(`${suite} needs PostgreSQL under CI=true but ${adminUrl} is not reachable`);
  console.warn(`\n*** PostgreSQL not reachable at ${adminUrl}: SKIPPING ${suite}. ***\n`);
  return false;
}

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops the database, closing whatever connections are left. */
  drop(): Promise<void>;
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the admin URL's server, named `{prefix}_{random}`. */
export async function scratchPostgres(
  prefix = 'gl_test',
  adminUrl = PG_ADMIN_URL,
): Promise<ScratchDatabase> {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix))
    throw new Error(`bad database name prefix ${prefix}`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
