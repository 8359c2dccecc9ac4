import { createServer, isIP, type Socket } from 'node:net';
import { type Bound, listen } from '@gridlink/shared';
import type { Logger } from 'pino';
import { plainAddress } from '../seed-d/auth.js';
import type { SeedCConfig } from './config.js';
import { fail, formatReply, parseLine, type SeedCReply } from './envelope.js';
import { Gate } from './gate.js';
import { SeedCJourney } from './journey.js';
import type { SeedCCaller } from './users.js';

export interface SeedCServerOptions {
  config: SeedCConfig;
  journey: SeedCJourney;
  now: () => number;
  logger: Logger;
}

/** What the server has done, for tests and the logs. */
export interface SeedCCounts {
  connections: number;
  accepted: number;
  refusedConnections: number;
  requests: number;
  /** Answers by status code. */
  byCode: Record<number, number>;
}

export interface SeedCServer extends Bound {
  readonly journey: SeedCJourney;
  counts(): SeedCCounts;
  close(): Promise<void>;
}

/** A connection may use anonymous access: enabled, and its peer address is one of `sources`. */
function anonymousAllowed(config: SeedCConfig, peer: string | undefined): boolean {
  const a = config.anonymous;
  const address = plainAddress(peer);
  return (
    a.enabled &&
    address !== undefined &&
    isIP(address) !== 0 &&
    a.sources.some((s) => plainAddress(s) === address)
  );
}

/**
 * Seed C's journey server on its own port (docs/LEGACY-SEED-C.md): newline-terminated JSON
 * envelopes, answered in order per connection. Limits: a line over `maxLineBytes` is a 400 and
 * the connection closes (no way to find the next line); `idleTimeoutMs` of silence closes it;
 * past `maxConnections` a new connection is told 503 and closed; a connection has at most
 * `maxInFlightPerConnection` lines read ahead (then its socket is paused, so a client that
 * floods waits on TCP, not on our memory); requests that touch the database go through one gate
 * (`concurrency`, `maxQueued` then 503). A client that does not read its answers has its socket
 * paused until it drains. Whatever arrives, the server answers and keeps serving the others.
 */
export async function startSeedCServer(o: SeedCServerOptions): Promise<SeedCServer> {
  const { config, journey, logger } = o;
  const gate = new Gate(config.concurrency, config.maxQueued);
  const sockets = new Set<Socket>();
  const counts: SeedCCounts = {
    connections: 0,
    accepted: 0,
    refusedConnections: 0,
    requests: 0,
    byCode: {},
  };

  const answer = async (line: string, caller: { current: SeedCCaller | null }): Promise<string> => {
    counts.requests++;
    const parsed = parseLine(line);
    let reply: SeedCReply;
    let type: string;
    if (!parsed.ok) {
      type = parsed.type;
      reply = parsed.reply;
    } else if (parsed.type === 'AUTH') {
      type = 'AUTH';
      const outcome = await gate.run(async () => ({
        who: await journey.authenticate(parsed.data.token),
      }));
      const who = outcome?.who;
      if (!outcome) reply = fail(503, 'busy; try again');
      else if (!who) reply = fail(401, 'invalid or expired token');
      else {
        caller.current = who;
        reply = { code: 200, message: 'authenticated', data: { kind: who.kind } };
      }
    } else {
      type = parsed.type;
      const who = caller.current;
      if (!who)
        reply = fail(401, 'this address may not use the journey server without AUTH {token}');
      else {
        const run = () =>
          journey.handle(parsed.type as Exclude<typeof parsed.type, 'AUTH'>, parsed.data, who);
        reply = SeedCJourney.usesDatabase(parsed.type)
          ? ((await gate.run(run)) ?? fail(503, 'busy; try again'))
          : await run();
      }
    }
    counts.byCode[reply.code] = (counts.byCode[reply.code] ?? 0) + 1;
    return formatReply(type, reply, new Date(o.now()));
  };

  const serve = (socket: Socket) => {
    if (sockets.size >= config.maxConnections) {
      counts.refusedConnections++;
      socket.on('error', () => undefined);
      socket.end(formatReply('ERROR', fail(503, 'too many connections'), new Date(o.now())));
      return;
    }
    sockets.add(socket);
    counts.connections = sockets.size;
    counts.accepted++;
    const caller = {
      current: anonymousAllowed(config, socket.remoteAddress)
        ? ({ kind: 'anonymous' } as SeedCCaller)
        : null,
    };
    socket.setNoDelay(true);
    socket.setTimeout(config.idleTimeoutMs, () => socket.destroy());
    socket.on('error', (err) => logger.debug({ err }, 'seed C connection error'));
    socket.on('close', () => {
      sockets.delete(socket);
      counts.connections = sockets.size;
    });
    let pending = '';
    const queue: string[] = [];
    let working = false;
    let closing = false;
    let drained = true;
    /** The last words before closing (the oversized line's 400). */
    let last: string | null = null;
    const flowControl = () => {
      if (queue.length >= config.maxInFlightPerConnection || !drained) socket.pause();
      else if (!closing) socket.resume();
    };
    /** Resolves when the client has read what was written (or the socket is gone). */
    let onDrained: (() => void) | null = null;
    const settle = () => {
      drained = true;
      onDrained?.();
      onDrained = null;
    };
    socket.on('drain', () => {
      settle();
      flowControl();
    });
    socket.on('close', settle);
    const pump = async () => {
      if (working) return;
      working = true;
      while (queue.length > 0 && !socket.destroyed) {
        const line = queue.shift() as string;
        flowControl();
        const out = await answer(line, caller).catch((err: unknown) => {
          logger.error({ err, code: 'GL_INTERNAL' }, 'seed C request failed');
          return formatReply('ERROR', fail(500, 'internal error'), new Date(o.now()));
        });
        if (socket.destroyed) break;
        if (!socket.write(out)) {
          // A client that does not read its answers gets no more of them buffered here: the
          // next answer waits for this one to be read (or for the idle time-out).
          drained = false;
          flowControl();
          await new Promise<void>((resolve) => {
            onDrained = resolve;
          });
        }
        flowControl();
      }
      working = false;
      if (closing && !socket.destroyed) {
        if (last) socket.end(last);
        else socket.end();
      }
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (closing) return;
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl).replace(/\r$/, '');
        pending = pending.slice(nl + 1);
        if (Buffer.byteLength(line) > config.maxLineBytes) {
          pending = line; // over the limit: refused below
          break;
        }
        if (line.trim() !== '') queue.push(line);
        nl = pending.indexOf('\n');
      }
      if (Buffer.byteLength(pending) > config.maxLineBytes) {
        // The rest of this line cannot be found: answer the lines before it, then a 400, close.
        closing = true;
        pending = '';
        socket.pause();
        counts.byCode[400] = (counts.byCode[400] ?? 0) + 1;
        last = formatReply(
          'ERROR',
          fail(400, `line over ${config.maxLineBytes} bytes; closing`),
          new Date(o.now()),
        );
        void pump();
        return;
      }
      flowControl();
      void pump();
    });
    socket.on('end', () => {
      // A last line without its newline (a client that wrote and shut down) is still a request.
      if (!closing && pending.trim() !== '') queue.push(pending.replace(/\r$/, ''));
      pending = '';
      closing = true;
      void pump();
    });
  };

  const server = createServer({ allowHalfOpen: true }, serve);
  server.on('error', (err) => logger.error({ err }, 'seed C server error'));
  const bound = await listen(server, {
    port: config.port,
    host: config.host,
    fallback: config.portFallback,
    // Thousands of journey clients connect at once (the original's 150 at start-up, and more):
    // a short accept queue drops their handshakes while the loop is busy.
    backlog: config.backlog,
  });
  logger.info(
    {
      host: bound.host,
      port: bound.port,
      movedFrom: bound.movedFrom,
      anonymous: config.anonymous.enabled,
    },
    'seed C journey server listening',
  );
  return {
    ...bound,
    journey,
    counts: () => ({ ...counts, byCode: { ...counts.byCode } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
