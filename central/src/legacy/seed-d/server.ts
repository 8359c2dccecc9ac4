import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type Bound, errorCatalog, isGridlinkError, listen } from '@gridlink/shared';
import type { Logger } from 'pino';
import { type AuthDeps, authenticate } from './auth.js';
import { parseRequest, ROUTE_METHOD, ROUTES, type RouteName } from './requests.js';
import { errorReply, runTerminal, type TerminalDeps, type TerminalReply } from './terminal.js';

export interface SeedDTerminalOptions {
  host: string;
  port: number;
  /** Move to a free port when `port` is taken. */
  portFallback?: boolean;
  maxBodyBytes: number;
  terminal: TerminalDeps;
  auth: AuthDeps;
  logger: Logger;
}

export interface SeedDTerminal extends Bound {
  close(): Promise<void>;
}

const ROUTE_BY_PATH = new Map<string, RouteName>(ROUTES.map((r) => [`/${r}`, r]));

/** The original server's 404 for a path or method it did not know. */
const NOT_FOUND: TerminalReply = { status: 404, body: 'Not found' };

function send(res: ServerResponse, reply: TerminalReply, headers: Record<string, string> = {}) {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(reply.body, 'utf8');
  const isJson = reply.body.startsWith('{') || reply.body.startsWith('[');
  // One response per connection, then close: the original client connects, sends, reads one
  // recv() and is done.
  res.shouldKeepAlive = false;
  res.writeHead(reply.status, STATUS_CODES[reply.status] ?? 'Error', {
    'Content-Type': isJson ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'Content-Length': String(body.byteLength),
    Connection: 'close',
    ...headers,
  });
  res.end(body);
}

/** The body as text, or undefined (and a 413 sent) when it is over the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        resolve(undefined);
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Seed D's terminal interface on its own port (docs/LEGACY-SEED-D.md): the six routes with the
 * original request and response shapes, each request authenticated (auth.ts), parsed
 * (requests.ts) and run against GridLink's domain (terminal.ts). Whatever arrives, the listener
 * answers and keeps serving: a malformed request is a 400, never a crash.
 */
export async function startSeedDTerminal(o: SeedDTerminalOptions): Promise<SeedDTerminal> {
  // `/cadMedidor` numbers a customer's meters 1, 2, …: one at a time in this process.
  let registrations: Promise<unknown> = Promise.resolve();
  const serialRegistration = <T>(task: () => Promise<T>): Promise<T> => {
    const next = registrations.then(task);
    registrations = next.catch(() => undefined);
    return next;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === '/' && req.method === 'GET')
      return send(res, { status: 200, body: JSON.stringify({ response: 'Hello World!' }) });
    const route = ROUTE_BY_PATH.get(path);
    if (!route || req.method !== ROUTE_METHOD[route]) {
      req.resume();
      return send(res, NOT_FOUND);
    }
    const body = await readBody(req, o.maxBodyBytes);
    if (body === undefined) return send(res, errorReply(413, `body over ${o.maxBodyBytes} bytes`));
    const who = await authenticate(
      o.auth,
      route,
      req.headers.authorization,
      req.socket.remoteAddress,
    );
    if (!who.ok)
      return send(
        res,
        errorReply(who.status, who.message),
        who.status === 401 ? { 'WWW-Authenticate': 'Basic realm="gridlink-seed-d"' } : {},
      );
    const parsed = parseRequest(route, body);
    const run = () => runTerminal(o.terminal, who.caller, parsed);
    send(res, route === 'cadMedidor' ? await serialRegistration(run) : await run());
  };

  const server = createServer(
    // No Host header required: the original server never looked at it.
    {
      maxHeaderSize: 8192,
      requestTimeout: 30_000,
      headersTimeout: 15_000,
      requireHostHeader: false,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (isGridlinkError(err) && errorCatalog[err.code].status < 500)
          return send(res, errorReply(errorCatalog[err.code].status, err.message));
        o.logger.error(
          { err, code: isGridlinkError(err) ? err.code : undefined },
          'seed D request failed',
        );
        send(res, errorReply(500, 'internal error'));
      });
    },
  );
  // Bytes that are not HTTP/1.1 get the original's error style, then the socket closes.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({
      'errors:': `malformed HTTP request (${err.code ?? 'parse error'})`,
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  const bound = await listen(server, {
    port: o.port,
    host: o.host,
    fallback: o.portFallback ?? false,
  });
  o.logger.info(
    { host: bound.host, port: bound.port, movedFrom: bound.movedFrom },
    'seed D terminal listening',
  );
  return {
    ...bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
