import { readFileSync } from 'node:fs';
import { GridlinkError } from '@gridlink/shared';
import { parse as parseYaml } from 'yaml';
import { type EdgeConfig, parseEdgeConfig } from './schema.js';

/** Reads a YAML or JSON config file; every failure is GL_CONFIG_INVALID naming the file. */
export function loadEdgeConfigFile(path: string): EdgeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GridlinkError('GL_CONFIG_INVALID', `${path}: cannot read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new GridlinkError(
      'GL_CONFIG_INVALID',
      `${path}: not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
    );
  }
  return parseEdgeConfig(doc, path);
}
