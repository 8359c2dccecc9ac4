import type { Server as NetServer } from 'node:net';
import { GridlinkError } from '../errors/gridlink-error.js';

export interface ListenOptions {
  port: number;
  host?: string;
  /** When the port is taken: move to a free one (true) or fail with GL_PORT_IN_USE (false). */
  fallback?: boolean;
  /** The accept queue's length (the kernel caps it at net.core.somaxconn); Node's default 511. */
  backlog?: number;
}

export interface Bound {
  port: number;
  host: string;
  /** The port asked for, when GridLink had to move away from it. */
  movedFrom?: number;
}

function tryListen(
  server: NetServer,
  port: number,
  host: string,
  backlog?: number,
): Promise<number> {
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
    if (backlog === undefined) server.listen(port, host);
    else server.listen({ port, host, backlog });
  });
}

/** Listens on `port` (0 = any free port) and reports the port actually bound. */
export async function listen(server: NetServer, options: ListenOptions): Promise<Bound> {
  const host = options.host ?? '127.0.0.1';
  try {
    return { port: await tryListen(server, options.port, host, options.backlog), host };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    if (!options.fallback) {
      throw new GridlinkError('GL_PORT_IN_USE', `port ${options.port} on ${host} is in use`);
    }
    return {
      port: await tryListen(server, 0, host, options.backlog),
      host,
      movedFrom: options.port,
    };
  }
}
