import type { Clock } from '../clock/index.js';
import {
  exceptionPdu,
  type ModbusReply,
  type ModbusRequest,
  type ReplyDecision,
} from '../modbus/index.js';
import type { FaultMode, FaultSpec } from './fault-spec.js';

export interface ActiveFault {
  spec: FaultSpec;
  /** Clock time the fault was set, ms. */
  sinceMs: number;
}

/**
 * One device's fault switch. Holds at most one fault; the Modbus servers ask it how to answer,
 * the push devices (UDP/TCP meters, cars) ask it whether and when to send. Pure apart from the
 * injected clock: the same fault, set at the same clock time, behaves the same way.
 */
export class DeviceFaults {
  private current: ActiveFault | undefined;
  /** Counts of requests/sends each mode changed, for the ground truth. */
  readonly applied: Partial<Record<FaultMode, number>> = {};

  constructor(
    private readonly clock: Clock,
    /** The modes this kind of device supports; others are refused by `set`. */
    readonly supported: readonly FaultMode[],
  ) {}

  get active(): ActiveFault | undefined {
    return this.current;
  }

  set(spec: FaultSpec): void {
    this.current = { spec, sinceMs: this.clock.now() };
  }

  clear(): void {
    this.current = undefined;
  }

  private count(mode: FaultMode): void {
    this.applied[mode] = (this.applied[mode] ?? 0) + 1;
  }

  /** Link flapping: down during the first `downMs` of every `downMs + upMs` cycle. */
  linkDown(nowMs = this.clock.now()): boolean {
    const f = this.current;
    if (f?.spec.mode !== 'link-flap') return false;
    const { downMs, upMs } = f.spec;
    const phase = (nowMs - f.sinceMs) % (downMs + upMs);
    return phase >= 0 && phase < downMs;
  }

  /** The device clock's offset from true time, ms. */
  clockSkewMs(): number {
    return this.current?.spec.mode === 'clock-skew' ? this.current.spec.offsetMs : 0;
  }

  /** For push devices: whether to send now, and how late. */
  sendPlan(): { send: false } | { send: true; delayMs: number } {
    const spec = this.current?.spec;
    if (spec?.mode === 'no-reply' || this.linkDown()) {
      this.count(spec?.mode ?? 'link-flap');
      return { send: false };
    }
    if (spec?.mode === 'late-reply') {
      this.count('late-reply');
      return { send: true, delayMs: spec.delayMs };
    }
    return { send: true, delayMs: 0 };
  }

  /**
   * For devices that answer requests over a text protocol (KEBA UDP): whether to answer, how
   * late, and whether the answer is garbage. Link flapping drops the answer while down.
   */
  answerPlan(): { send: false } | { send: true; delayMs: number; garbage: boolean } {
    const spec = this.current?.spec;
    if (spec?.mode === 'no-reply' || this.linkDown()) {
      this.count(spec?.mode ?? 'link-flap');
      return { send: false };
    }
    if (spec?.mode === 'late-reply' || spec?.mode === 'garbage-reply') {
      this.count(spec.mode);
      return {
        send: true,
        delayMs: spec.mode === 'late-reply' ? spec.delayMs : 0,
        garbage: spec.mode === 'garbage-reply',
      };
    }
    return { send: true, delayMs: 0, garbage: false };
  }

  /** The Modbus answer step: turns the honest reply into what the faulty device sends. */
  readonly shapeModbus = (request: ModbusRequest, reply: ModbusReply): ReplyDecision => {
    const spec = this.current?.spec;
    if (!spec) return { action: 'reply', reply };
    if (this.linkDown()) {
      this.count('link-flap');
      return { action: 'close' };
    }
    switch (spec.mode) {
      case 'no-reply':
        this.count(spec.mode);
        return { action: 'silent' };
      case 'late-reply':
        this.count(spec.mode);
        return { action: 'reply', reply: { ...reply, delayMs: reply.delayMs + spec.delayMs } };
      case 'bad-crc':
        this.count(spec.mode);
        return { action: 'reply', reply: { ...reply, badCrc: true } };
      case 'wrong-unit':
        this.count(spec.mode);
        return {
          action: 'reply',
          reply: { ...reply, unitId: spec.unitId ?? (request.unitId % 247) + 1 },
        };
      case 'exception':
        this.count(spec.mode);
        return {
          action: 'reply',
          reply: { ...reply, pdu: exceptionPdu(request.pdu[0] as number, spec.code as never) },
        };
      case 'short-frame': {
        this.count(spec.mode);
        // Keep at least the function code; by default drop half of what follows it.
        const drop = Math.min(
          spec.dropBytes ?? Math.max(1, Math.floor((reply.pdu.length - 1) / 2)),
          reply.pdu.length - 1,
        );
        return {
          action: 'reply',
          reply: { ...reply, pdu: Buffer.from(reply.pdu.subarray(0, reply.pdu.length - drop)) },
        };
      }
      default:
        return { action: 'reply', reply };
    }
  };
}
