import {
  type Clock,
  checkReading,
  type ReadingRejection,
  type ReadingWindow,
} from '@gridlink/shared';
import type { Logger } from 'pino';
import type { EdgeConfig } from '../config/index.js';
import type { Admission, DeviceView } from '../drivers/index.js';
import type { PolledReading } from '../poller/index.js';

/** The window of the edge config's `readings` section. */
export function readingWindowOf(readings: EdgeConfig['readings']): ReadingWindow {
  return {
    notBeforeMs: Date.parse(`${readings.notBefore}T00:00:00Z`),
    maxFutureSkewMs: readings.maxFutureSkewSeconds * 1000,
  };
}

export interface ReadingGateOptions {
  window: ReadingWindow;
  /** The edge's clock: the window's "now". */
  clock: Clock;
  /** Where an admitted reading goes (the group-commit sink). */
  admit: (reading: PolledReading) => void;
  logger: Logger;
  /** A rejection is logged at most once per device and reason per interval; all are counted. */
  logIntervalMs: number;
}

export interface RejectionCount {
  deviceId: string;
  reason: ReadingRejection;
  count: number;
}

interface DeviceRejections {
  byReason: Map<ReadingRejection, number>;
  total: number;
  lastMessage: string;
  /** No reading of the device was admitted since the last rejection. */
  current: boolean;
}

const ADMITTED: Admission = Object.freeze({ ok: true });

interface LogSlot {
  nextAt: number;
  suppressed: number;
}

/**
 * The one door into the log for every driver's readings: each is checked with the shared
 * `checkReading` against the edge's window and clock. A rejected reading never reaches the log;
 * it is counted per device and reason, and logged with GL_READING_INVALID at most once per device
 * and reason per `logIntervalMs` (the next line says how many were not logged), so a meter
 * flooding bad readings cannot flood the log.
 */
export class ReadingGate {
  readonly #o: ReadingGateOptions;
  readonly #byDevice = new Map<string, DeviceRejections>();
  readonly #logSlots = new Map<string, LogSlot>();

  constructor(options: ReadingGateOptions) {
    this.#o = options;
  }

  /** Checks one reading; an admitted one goes on to the log. */
  readonly admit = (reading: PolledReading): Admission => {
    const now = this.#o.clock.now();
    const verdict = checkReading(reading, this.#o.window, now);
    if (verdict.ok) {
      if (this.#byDevice.size > 0) {
        const r = this.#byDevice.get(reading.deviceId);
        if (r) r.current = false;
      }
      this.#o.admit(verdict.reading);
      return ADMITTED;
    }
    const message = verdict.message.slice(0, 200);
    this.#count(reading.deviceId, verdict.reason, message);
    this.#log(reading.deviceId, verdict.reason, message, now);
    return { ok: false, reason: verdict.reason, message };
  };

  /** Rejections since start, per device and reason. */
  rejections(): RejectionCount[] {
    const out: RejectionCount[] = [];
    for (const [deviceId, r] of this.#byDevice)
      for (const [reason, count] of r.byReason) out.push({ deviceId, reason, count });
    return out;
  }

  /**
   * A driver's view of a device with its rejected readings added: each is a failure and a
   * GL_READING_INVALID error; the last one is the device's `lastError` while the driver reports
   * none of its own and no reading of the device was admitted since.
   */
  readonly decorate = (view: DeviceView): DeviceView => {
    const r = this.#byDevice.get(view.health.deviceId);
    if (!r) return view;
    const h = view.health;
    const current = h.lastError === null && r.current;
    return {
      ...view,
      health: {
        ...h,
        failures: h.failures + r.total,
        lastError: current ? `GL_READING_INVALID: ${r.lastMessage}`.slice(0, 300) : h.lastError,
      },
      errors: {
        ...view.errors,
        GL_READING_INVALID: (view.errors.GL_READING_INVALID ?? 0) + r.total,
      },
    };
  };

  #count(deviceId: string, reason: ReadingRejection, message: string): void {
    let r = this.#byDevice.get(deviceId);
    if (!r) {
      r = { byReason: new Map(), total: 0, lastMessage: '', current: true };
      this.#byDevice.set(deviceId, r);
    }
    r.byReason.set(reason, (r.byReason.get(reason) ?? 0) + 1);
    r.total++;
    r.lastMessage = `${reason}: ${message}`;
    r.current = true;
  }

  #log(deviceId: string, reason: ReadingRejection, message: string, now: number): void {
    const key = `${deviceId}\n${reason}`;
    let slot = this.#logSlots.get(key);
    if (!slot) {
      slot = { nextAt: now, suppressed: 0 };
      this.#logSlots.set(key, slot);
    }
    if (now < slot.nextAt) {
      slot.suppressed++;
      return;
    }
    this.#o.logger.warn(
      {
        code: 'GL_READING_INVALID',
        deviceId,
        reason,
        detail: message,
        suppressed: slot.suppressed,
      },
      'reading rejected',
    );
    slot.nextAt = now + this.#o.logIntervalMs;
    slot.suppressed = 0;
  }
}
