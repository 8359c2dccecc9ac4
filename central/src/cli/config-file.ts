import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatZodIssues } from '@gridlink/shared';
import { parse as parseYaml } from 'yaml';
import { type CentralConfig, centralConfigSchema } from '../config/index.js';
import { type Database, openDatabase } from '../storage/index.js';

/** Prints `gridlink-central: message` to stderr and exits with `code`. */
export function fail(code: number, message: string): never {
  process.stderr.write(`gridlink-central: ${message}\n`);
  process.exit(code);
}

/** A JSON or YAML config file, parsed (not yet validated); exits 2 when it cannot be read. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(2, `cannot read config ${path}: ${(err as Error).message}`);
  }
  try {
    return path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    fail(
      2,
      `GL_CONFIG_INVALID: ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
}

/** A plain object, or an empty one: lets flags merge over a config file of unknown shape. */
export function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The flags every database command takes (`token`, `backup`/`restore`, `import-stations`). */
export interface DatabaseFlags {
  config?: string;
  'data-dir'?: string;
  'database-url'?: string;
}

/**
 * The central's config for a command that opens its database: the file of `--config` (if any),
 * `--data-dir` and `--database-url` over it, else `GRIDLINK_DATABASE_URL`; exits 2 with
 * GL_CONFIG_INVALID when it does not check.
 */
export function cliConfig(values: DatabaseFlags): CentralConfig {
  const file = obj(typeof values.config === 'string' ? readConfigFile(values.config) : {});
  const checked = centralConfigSchema.safeParse({
    ...file,
    dataDir: values['data-dir'] ?? file.dataDir,
    databaseUrl: values['database-url'] ?? file.databaseUrl ?? process.env.GRIDLINK_DATABASE_URL,
  });
  if (!checked.success) fail(2, `GL_CONFIG_INVALID: ${formatZodIssues(checked.error)}`);
  return checked.data;
}

/** Opens the database `config` names: PostgreSQL at its URL, else PGlite under its data dir. */
export function openCliDatabase(config: CentralConfig): Promise<Database> {
  return openDatabase(
    config.databaseUrl
      ? { kind: 'postgres', url: config.databaseUrl }
      : { kind: 'pglite', dataDir: join(config.dataDir, 'db') },
  );
}
