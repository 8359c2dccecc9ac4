import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

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
