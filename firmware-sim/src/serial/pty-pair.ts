import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { GridlinkError } from '@gridlink/shared';

export interface PtyPairOptions {
  /** Symlink to the simulator's end (the slave side, where the simulator opens the port). */
  devicePath: string;
  /** Symlink to the other end, for the master (edge, mbpoll, a test client). */
  clientPath: string;
  /** socat executable; default `socat` on PATH. */
  socat?: string;
}

export interface PtyPair {
  readonly devicePath: string;
  readonly clientPath: string;
  /** Kills socat (which removes both links) and waits for it to exit. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Creates a connected pair of pseudo-terminals with socat, raw and without echo:
 * `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B`. Resolves once socat reports both
 * ends and the data transfer loop has started, so both links exist and can be opened.
 * Fails with GL_SERIAL_PORT when socat is missing or exits early.
 */
export async function createPtyPair(options: PtyPairOptions): Promise<PtyPair> {
  const child: ChildProcess = spawn(
    options.socat ?? 'socat',
    [
      '-d',
      '-d',
      `pty,raw,echo=0,link=${options.devicePath}`,
      `pty,raw,echo=0,link=${options.clientPath}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const exited = once(child, 'exit');
  exited.catch(() => {});
  let onData: ((chunk: Buffer) => void) | undefined;
  let onExit: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) =>
        reject(
          new GridlinkError('GL_SERIAL_PORT', `socat pty pair failed: ${why}`, {
            devicePath: options.devicePath,
            clientPath: options.clientPath,
          }),
        );
      child.once('error', (err) => fail(err.message));
      onExit = () =>
        fail(`exited ${child.signalCode ?? child.exitCode} before ready: ${stderr.trim()}`);
      child.once('exit', onExit);
      // socat -d -d logs "starting data transfer loop" once both ptys exist and are linked.
      onData = (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('starting data transfer loop')) resolve();
      };
      child.stderr?.on('data', onData);
    });
  } finally {
    if (onData) child.stderr?.off('data', onData);
    if (onExit) child.off('exit', onExit);
  }
  child.stderr?.resume();

  let closing: Promise<void> | undefined;
  return {
    devicePath: options.devicePath,
    clientPath: options.clientPath,
    close() {
      closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
      })();
      return closing;
    },
  };
}
