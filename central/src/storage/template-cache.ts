import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Migrated PGlite templates, cached on disk. A fresh PGlite database runs initdb and then every
 * migration: seconds each, for every test that opens one. With templates the first open builds
 * the database once, dumps it (PGlite's `dumpDataDir`, a gzipped tarball) under the key of what
 * made it (template-key.ts), and every later fresh database - in this process or another - loads
 * that tarball instead (`loadDataDir`).
 *
 * Only when GRIDLINK_PGLITE_TEMPLATES names the cache folder (the test runner sets it,
 * vitest.config.ts). Without it, as in production, a database is created as it always was.
 */
export const TEMPLATES_ENV = 'GRIDLINK_PGLITE_TEMPLATES';

/** The folder templates are cached in, when enabled. */
export function templateFolder(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[TEMPLATES_ENV] || undefined;
}

const PREFIX = 'pglite-';
const SUFFIX = '.tgz';
/** Templates of other keys (older migrations) unused this long are removed when one is built. */
const STALE_MS = 24 * 3600_000;

export function templatePath(folder: string, key: string): string {
  return join(folder, `${PREFIX}${key}${SUFFIX}`);
}

/**
 * Writes `bytes` to `path` whole or not at all: to a name of its own first, then renamed over
 * `path` (atomic on one file system). Processes building the same template at once each write
 * their own file; the last rename wins and a reader sees one complete tarball, never a mix.
 */
export async function storeTemplate(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

const inProcess = new Map<string, Promise<Uint8Array>>();

/**
 * The template `key` from `folder`, built by `build` (and stored) when it is not there yet. One
 * read or build per key and process; a failed build is not remembered.
 */
export function cachedTemplate(
  folder: string,
  key: string,
  build: () => Promise<Uint8Array>,
): Promise<Uint8Array> {
  const id = templatePath(folder, key);
  let template = inProcess.get(id);
  if (!template) {
    template = readOrBuild(folder, id, build);
    inProcess.set(id, template);
    template.catch(() => inProcess.delete(id));
  }
  return template;
}

async function readOrBuild(
  folder: string,
  path: string,
  build: () => Promise<Uint8Array>,
): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path);
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined); // in use: not stale
    return bytes;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const bytes = await build();
  await mkdir(folder, { recursive: true });
  await storeTemplate(path, bytes);
  await removeStale(folder, path);
  return bytes;
}

/** Other keys' templates (and temporary files of killed builds) unused for a day. */
async function removeStale(folder: string, keep: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(folder)) {
    const path = join(folder, name);
    if (path === keep || !name.startsWith(PREFIX)) continue;
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_MS) await rm(path, { force: true });
  }
}
