import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { centralCommand } from '@gridlink/central/testing';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/** A plain config value: what a YAML config file of the central holds. */
export type ConfigValue = string | number | boolean | null | ConfigValue[] | ConfigObject;
export interface ConfigObject {
  [key: string]: ConfigValue | undefined;
}

/**
 * YAML for a plain config object, block style. Scalars are written as JSON (a JSON string is a
 * YAML double-quoted scalar), so no value is ever read back as another type.
 */
export function toYaml(value: ConfigValue, indent = ''): string {
  if (Array.isArray(value))
    return value.length === 0
      ? ' []'
      : value.map((v) => `\n${indent}-${block(v, `${indent}  `)}`).join('');
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return ' {}';
    return entries
      .map(([k, v]) => `\n${indent}${JSON.stringify(k)}:${block(v as ConfigValue, `${indent}  `)}`)
      .join('');
  }
  return ` ${JSON.stringify(value)}`;
}
const block = (v: ConfigValue, indent: string) => toYaml(v, indent);

/** What the CLI's ready line on stderr says (`gridlink-central ready: HTTP … MQTT …, storage …`). */
export interface CentralProcessReady {
  httpUrl: string;
  mqttUrl: string;
  storage: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CentralProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  /** The YAML file the process was started with. */
  readonly configFile: string;
  /** Resolves on the ready line; rejects if the process exits first (with its stderr). */
  readonly ready: Promise<CentralProcessReady>;
  readonly exited: Promise<Exit>;
  /** Everything written so far (the JSON log on stdout, human lines on stderr). */
  stdout(): string;
  stderr(): string;
  /** Sends `signal` (if still running) and resolves with the exit. */
  kill(signal: NodeJS.Signals): Promise<Exit>;
}

export interface CentralProcessOptions {
  /** Names the config file and the error messages (`central-1`). */
  name: string;
  /** Where the config file is written. */
  dir: string;
  /** The central's config (docs/CONFIG.md), written as `{dir}/{name}.yaml`. */
  config: ConfigObject;
  /** More command-line flags, after `--config`. */
  args?: string[];
  env?: Record<string, string>;
}

/** Keeps the last `max` characters of a growing text. */
function tail(max: number) {
  let text = '';
  return {
    add(chunk: Buffer) {
      text += chunk.toString();
      if (text.length > max) text = text.slice(-max / 2);
    },
    get: () => text,
  };
}

/**
 * Starts the real `gridlink-central` CLI as a child process (no IPC channel: it runs as under a
 * supervisor that is not the demo, so it mints no startup token and revokes none another
 * instance holds). Ready when its ready line appears on stderr.
 */
export function startCentralProcess(o: CentralProcessOptions): CentralProcess {
  const configFile = join(o.dir, `${o.name}.yaml`);
  writeFileSync(configFile, `# ${o.name}${toYaml(o.config)}\n`);
  const proc = spawn(
    process.execPath,
    [...centralCommand(), '--config', configFile, ...(o.args ?? [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: root,
      env: { ...process.env, ...o.env },
    },
  );
  const out = tail(200_000);
  const err = tail(200_000);
  proc.stdout?.on('data', out.add);
  const exited = new Promise<Exit>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const ready = new Promise<CentralProcessReady>((resolveReady, reject) => {
    const line = /gridlink-central ready: HTTP (\S+) .*MQTT (\S+), storage (\S+)/;
    proc.stderr?.on('data', (d: Buffer) => {
      err.add(d);
      const m = line.exec(err.get());
      if (m)
        resolveReady({ httpUrl: m[1] as string, mqttUrl: m[2] as string, storage: m[3] as string });
    });
    void exited.then((e) =>
      reject(
        new Error(
          `${o.name} exited (${e.signal ?? e.code}) before it was ready:\n${err.get().slice(-3000)}`,
        ),
      ),
    );
  });
  ready.catch(() => undefined);
  return {
    name: o.name,
    proc,
    configFile,
    ready,
    exited,
    stdout: out.get,
    stderr: err.get,
    kill: async (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
