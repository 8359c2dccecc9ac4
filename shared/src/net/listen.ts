import type { Server as NetServer } from 'node:net';
import { GridlinkError } from '../errors/gridlink-error.js';

export interface ListenOptions {
  port: number;
  host?: string;
  /** When the port is taken: move to a free one (true) or fail with GL_PORT_IN_USE (false). */
  fallback?: boolean;
}

export interface Bound {
  port: number;
  host: string;
  /** The port asked for, when GridLink had to move away from it. */
  movedFrom?: number;
}

function tryListen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Listens on `port` (0 = any free port) and reports the port actually bound. */
export async function listen(server: NetServer, options: ListenOptions): Promise<Bound> {
  const host = options.host ?? '127.0.0.1';
  try {
    return { port: await tryListen(server, options.port, host), host };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (!options.fallback) {
      throw new GridlinkError('GL_PORT_IN_USE', `port ${options.port} on ${host} is in use`);
    }
    return { port: await tryListen(server, 0, host), host, movedFrom: options.port };
  }
}
