import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { Migration } from 'kysely/migration';
import { migrationProvider } from './migrations/index.js';
import { pgliteDist } from './pglite-thread.js';

/** Everything a migrated PGlite template is made of (template-cache.ts). */
export interface TemplateSource {
  /** The engine: PGlite's version and the worker that opens it (its extensions and options). */
  engine: string;
  /** The migrations as the migrator runs them, by name. */
  migrations: Record<string, Migration>;
  /** The migration folder's files, so a change to any of them (helpers included) counts. */
  files: ReadonlyArray<{ name: string; bytes: Uint8Array }>;
}

/**
 * The name of a template: a hash of everything in `source`. A migration added, removed or edited,
 * another PGlite or another worker gives another key, so a template is never used stale.
 */
export function templateKey(source: TemplateSource): string {
  const hash = createHash('sha256');
  const field = (text: string | Uint8Array) => {
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    hash.update(`${bytes.byteLength}:`);
    hash.update(bytes);
  };
  field(source.engine);
  for (const [name, m] of Object.entries(source.migrations)) {
    field(name);
    field(String(m.up));
    field(String(m.down ?? ''));
  }
  for (const { name, bytes } of [...source.files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    field(name);
    field(bytes);
  }
  return hash.digest('hex').slice(0, 32);
}

/** The template source of this checkout (source or build): the migrations it would run. */
export async function currentTemplateSource(): Promise<TemplateSource> {
  const pglitePackage = new URL('../package.json', pgliteDist());
  const { version } = JSON.parse(await readFile(pglitePackage, 'utf8')) as { version: string };
  const here = new URL('.', import.meta.url);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const worker = await readFile(new URL(`pglite-worker${ext}`, here));
  const folder = new URL('migrations/', here);
  const names = (await readdir(folder, { withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => e.name);
  const files = await Promise.all(
    names.map(async (name) => ({ name, bytes: await readFile(new URL(name, folder)) })),
  );
  return {
    engine: `pglite ${version}\n${worker.toString('utf8')}`,
    migrations: await migrationProvider.getMigrations(),
    files,
  };
}
