import { performance } from 'node:perf_hooks';
import { GridlinkError } from '@gridlink/shared';
import { type Logger, pino } from 'pino';
import { SerialPort } from 'serialport';
import { FunctionCode } from './function-codes.js';
import { respondToPdu } from './pdu.js';
import type { RegisterBank } from './register-bank.js';
import type { ModbusReply, ReplyShaper } from './reply-shaper.js';
import {
  decodeRtuFrame,
  encodeRtuFrame,
  encodeRtuFrameWithBadCrc,
  RTU_BROADCAST_ADDRESS,
} from './rtu-frame.js';
import { interFrameSilenceMs, SerialLineTimeline } from './rtu-timing.js';

export interface ModbusRtuServerOptions {
  /** Serial device to open (a real port, or the simulator's end of a pty pair). */
  path: string;
  /** Line speed; it sets the wire time of every character. Default 9600. */
  baudRate?: number;
  /** The device at an address, or undefined when no slave answers there. */
  resolveUnit: (unitId: number) => RegisterBank | undefined;
  /** Each slave's own turnaround, ms, between the end of the request and its reply. Default 0. */
  replyDelayMs?: (unitId: number) => number;
  /** Faults: may delay, corrupt or drop a reply. Default: honest replies. */
  shapeReply?: ReplyShaper;
  /** Observes every frame the line delimits, after it is handled (for tests and metrics). */
  onFrame?: (event: RtuFrameEvent) => void;
  logger?: Logger;
}

export type RtuFrameEvent =
  | { kind: 'discarded'; reason: 'length' | 'crc'; bytes: number }
  | { kind: 'request'; unitId: number; functionCode: number; answered: boolean };

export interface RtuLineStats {
  baudRate: number;
  requests: number;
  replies: number;
  /** Frames discarded for a bad CRC or a bad length (§2.5.1.1). */
  discarded: number;
  /** Requests to an address with no slave: nobody answered. */
  unanswered: number;
  broadcasts: number;
  /** Time characters occupied the line, ms, both directions. */
  busyMs: number;
  /** Share of time since the first frame that the line was busy, 0..1. */
  utilization: number;
}

export interface ModbusRtuServer {
  readonly path: string;
  readonly baudRate: number;
  stats(): RtuLineStats;
  /** Closes the port and cancels pending replies. Safe to call twice. */
  close(): Promise<void>;
}

/** Write functions are the only ones a broadcast may carry (Serial Line v1.02 §2.1). */
const BROADCASTABLE = new Set<number>([
  FunctionCode.WriteSingleCoil,
  FunctionCode.WriteSingleRegister,
  FunctionCode.WriteMultipleCoils,
  FunctionCode.WriteMultipleRegisters,
]);

/**
 * Many Modbus RTU slaves on one simulated RS-485 line, served on a serial path.
 *
 * Timing model (Modbus over Serial Line v1.02 §2.5.1.1): a pty moves bytes instantly, so the
 * line is simulated. Each character occupies the line for 11 bits at `baudRate`; a request ends
 * when its last character would have arrived, and it is recognised as a frame after 3.5
 * character times of silence. The addressed slave answers after its own reply delay (plus any
 * fault delay); the reply occupies the line for its own wire time and is written out whole at
 * the instant its last character would have reached the master. The line is half-duplex: no two
 * frames overlap, so utilization figures mean something.
 *
 * A frame with a bad CRC or length is discarded; an address with no slave gets no answer (a
 * slave that is not on the bus is silent); a broadcast (address 0) write is applied by every
 * slave and answered by none (§2.1).
 */
export async function startModbusRtuServer(
  options: ModbusRtuServerOptions,
): Promise<ModbusRtuServer> {
  const baudRate = options.baudRate ?? 9600;
  const log = (options.logger ?? pino({ level: 'silent' })).child({
    component: 'modbus-rtu',
    path: options.path,
  });
  const port = new SerialPort({ path: options.path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err
        ? reject(
            new GridlinkError('GL_SERIAL_PORT', `cannot open ${options.path}: ${err.message}`, {
              path: options.path,
            }),
          )
        : resolve(),
    ),
  );
  port.on('error', (err) => log.warn({ err }, 'serial port error'));

  const line = new SerialLineTimeline(baudRate);
  const silenceMs = interFrameSilenceMs(baudRate);
  const counters = { requests: 0, replies: 0, discarded: 0, unanswered: 0, broadcasts: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let pending: Buffer[] = [];
  let frameEndMs = 0;
  let chunkGeneration = 0;
  let closed = false;

  /** Runs `fn` at `whenMs` (performance.now scale), never before: timers may fire early. */
  const at = (whenMs: number, fn: () => void): NodeJS.Timeout => {
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        if (closed) return;
        if (performance.now() < whenMs) at(whenMs, fn);
        else fn();
      },
      Math.max(0, Math.ceil(whenMs - performance.now())),
    );
    timers.add(timer);
    return timer;
  };

  const send = (frame: Buffer, earliestMs: number) => {
    const { endMs } = line.occupy(frame.length, earliestMs);
    counters.replies++;
    at(endMs, () => port.write(frame));
  };

  /** Handles one delimited frame; returns whether a reply was sent, undefined when discarded. */
  const onFrame = (bytes: Buffer, endMs: number): boolean | undefined => {
    const decoded = decodeRtuFrame(bytes);
    if (!decoded.ok) {
      counters.discarded++;
      log.debug({ reason: decoded.reason }, decoded.message);
      options.onFrame?.({ kind: 'discarded', reason: decoded.reason, bytes: bytes.length });
      return undefined;
    }
    const { address, pdu } = decoded.frame;
    counters.requests++;
    if (address === RTU_BROADCAST_ADDRESS) {
      counters.broadcasts++;
      if (!BROADCASTABLE.has(pdu[0] as number)) return false;
      for (let unit = 1; unit <= 247; unit++) {
        const bank = options.resolveUnit(unit);
        if (bank) respondToPdu(pdu, bank);
      }
      return false;
    }
    const bank = options.resolveUnit(address);
    if (!bank) {
      counters.unanswered++;
      return false;
    }
    const answer = respondToPdu(pdu, bank);
    if (!answer) return false;
    const honest: ModbusReply = { unitId: address, pdu: answer, delayMs: 0, badCrc: false };
    const decision = options.shapeReply
      ? options.shapeReply({ unitId: address, pdu }, honest)
      : {
          action: 'reply' as const,
          reply: honest,
        };
    if (decision.action !== 'reply') {
      counters.unanswered++;
      return false;
    }
    const { reply } = decision;
    const frame = (reply.badCrc ? encodeRtuFrameWithBadCrc : encodeRtuFrame)({
      address: reply.unitId,
      pdu: reply.pdu,
    });
    const turnaround = (options.replyDelayMs?.(address) ?? 0) + reply.delayMs;
    send(frame, endMs + silenceMs + turnaround);
    return true;
  };

  port.on('data', (chunk: Buffer) => {
    const now = performance.now();
    // The chunk's characters occupy the line after whatever is on it already.
    frameEndMs = line.occupy(chunk.length, now).endMs;
    pending.push(chunk);
    // §2.5.1.1: the frame ends after 3.5 character times without a character. A later chunk
    // starts a new wait; the earlier one finds its generation stale and does nothing.
    const generation = ++chunkGeneration;
    at(frameEndMs + silenceMs, () => {
      if (generation !== chunkGeneration) return;
      const bytes = Buffer.concat(pending);
      pending = [];
      const answered = onFrame(bytes, frameEndMs);
      if (answered !== undefined) {
        options.onFrame?.({
          kind: 'request',
          unitId: bytes[0] as number,
          functionCode: bytes[1] as number,
          answered,
        });
      }
    });
  });

  log.info({ baudRate }, 'modbus rtu serving');
  let closing: Promise<void> | undefined;
  return {
    path: options.path,
    baudRate,
    stats: () => ({
      baudRate,
      ...counters,
      busyMs: line.busyMs,
      utilization: line.utilization(performance.now()),
    }),
    close() {
      closing ??= (async () => {
        closed = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      })();
      return closing;
    },
  };
}
