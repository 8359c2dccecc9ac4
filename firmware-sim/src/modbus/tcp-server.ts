import { createServer, type Socket } from 'node:net';
import { listen } from '@gridlink/shared';
import { type Logger, pino } from 'pino';
import { ExceptionCode } from './exception-codes.js';
import { encodeMbapFrame, type MbapFrame, MbapSplitter } from './mbap.js';
import { exceptionPdu, respondToPdu } from './pdu.js';
import type { RegisterBank } from './register-bank.js';
import type { ReplyDecision, ReplyShaper } from './reply-shaper.js';

export interface ModbusTcpServerOptions {
  /** 0 = any free port; the bound port is returned. */
  port: number;
  /** Bind address; default 127.0.0.1. */
  host?: string;
  /** When `port` is taken, move to a free port instead of failing with GL_PORT_IN_USE. */
  fallback?: boolean;
  /** The device behind a unit identifier, or undefined when there is none. */
  resolveUnit: (unitId: number) => RegisterBank | undefined;
  /** Faults: may delay, truncate, re-address or drop a reply, or close the connection. */
  shapeReply?: ReplyShaper;
  logger?: Logger;
}

export interface ModbusTcpServer {
  readonly port: number;
  readonly host: string;
  /** The port asked for, when it was taken and `fallback` moved the server. */
  readonly movedFrom?: number;
  /** Stops listening and destroys every open connection. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * A Modbus TCP server acting as a gateway to many simulated devices on one port: the MBAP unit
 * identifier picks the device (Modbus Messaging on TCP/IP v1.0b §3.1.3, "Unit Identifier").
 *
 * A unit identifier with no device is answered with exception 0x0B, "gateway target device
 * failed to respond" (Modbus Application Protocol v1.1b3 §7), which is what a real TCP/RTU
 * gateway reports when the slave on its serial side stays silent; a client learns at once
 * instead of waiting for its timeout.
 *
 * Requests on one connection are answered in arrival order: each frame is answered
 * synchronously as the splitter yields it, unless a fault (`shapeReply`) delays it; a delayed
 * reply is matched by its transaction id, as §4.2 of the implementation guide allows. A stream that cannot be framed (protocol identifier
 * ≠ 0, absurd length) is closed.
 */
export async function startModbusTcpServer(
  options: ModbusTcpServerOptions,
): Promise<ModbusTcpServer> {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'modbus-tcp' });
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const answer = (frame: MbapFrame): ReplyDecision | undefined => {
    const bank = options.resolveUnit(frame.unitId);
    const pdu = bank
      ? respondToPdu(frame.pdu, bank)
      : exceptionPdu(frame.pdu[0] as number, ExceptionCode.GatewayTargetFailedToRespond);
    if (!pdu) return undefined;
    const reply = { unitId: frame.unitId, pdu, delayMs: 0, badCrc: false };
    if (!bank || !options.shapeReply) return { action: 'reply', reply };
    return options.shapeReply({ unitId: frame.unitId, pdu: frame.pdu }, reply);
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const splitter = new MbapSplitter();
    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = splitter.push(chunk);
      for (const frame of frames) {
        const decision = answer(frame);
        if (!decision || decision.action === 'silent') continue;
        if (decision.action === 'close') {
          socket.destroy();
          return;
        }
        const { reply } = decision;
        const bytes = encodeMbapFrame({
          transactionId: frame.transactionId,
          unitId: reply.unitId,
          pdu: reply.pdu,
        });
        if (reply.delayMs > 0) {
          const timer = setTimeout(() => {
            timers.delete(timer);
            if (!socket.destroyed) socket.write(bytes);
          }, reply.delayMs);
          timers.add(timer);
          continue;
        }
        const flushed = socket.write(bytes);
        // A client that pipelines without reading: stop reading until it catches up.
        if (!flushed && !socket.isPaused()) {
          socket.pause();
          socket.once('drain', () => socket.resume());
        }
      }
      if (error) {
        log.warn({ peer, reason: error.reason }, `closing connection: ${error.message}`);
        socket.destroy();
      }
    });
    socket.on('error', (err) => log.debug({ peer, err }, 'connection error'));
    socket.once('close', () => sockets.delete(socket));
  });

  const bound = await listen(server, {
    port: options.port,
    host: options.host ?? '127.0.0.1',
    fallback: options.fallback ?? false,
  });
  log.info({ host: bound.host, port: bound.port }, 'modbus tcp listening');

  let closing: Promise<void> | undefined;
  return {
    port: bound.port,
    host: bound.host,
    ...(bound.movedFrom === undefined ? {} : { movedFrom: bound.movedFrom }),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const timer of timers) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
