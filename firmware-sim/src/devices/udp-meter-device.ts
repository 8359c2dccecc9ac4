import { createSocket, type Socket } from 'node:dgram';
import type { Clock } from '../clock/index.js';
import { DeviceFaults, type FaultSpec } from '../faults/index.js';
import { applyRate, checkFaultSupported, type RateChange, type SimDevice } from './device.js';
import { formatDateTime, RateMeter } from './rate-meter.js';

export interface UdpMeterDeviceOptions {
  deviceId: string;
  /** The meter_id field of the datagram. */
  meterId: string;
  /** The customer's CPF, 11 digits. */
  cpf: string;
  target: { host: string; port: number };
  clock: Clock;
  /** Reading interval, ms; changeable at run time. */
  intervalMs: number;
  rateKW: number;
  utcOffsetMinutes?: number;
  /**
   * The datagram's form (SEEDS D): `csv` `cpf,meter_id,value,timestamp` (default), or the seed's
   * JSON field names `{"id": cpf, "id_medidor", "valor", "timestamp"}`.
   */
  format?: 'csv' | 'seed-json';
  /**
   * The timestamp's form: local `wall` time `%Y-%m-%d %H:%M:%S` (default), integer `epoch`
   * seconds, `epoch-float` seconds with microseconds as Python's `time.time()` prints them, or
   * `epoch-ms`.
   */
  timestamp?: 'wall' | 'epoch' | 'epoch-float' | 'epoch-ms';
  /**
   * When the first reading is due after start, ms; later ones follow every interval. A fleet
   * gives meter n of N the phase interval × n / N, so its sends spread evenly over the interval.
   * Default intervalMs.
   */
  phaseMs?: number;
}

/**
 * The first system's meter (SEEDS D): every interval it sends one UDP datagram
 * `cpf,meter_id,value,timestamp`, value = the interval's consumption in kWh (6 decimals),
 * timestamp = `%Y-%m-%d %H:%M:%S` in the meter's local time, and expects the reply `200`. The
 * seed's other forms are options: its JSON field names, epoch timestamps (integer, `time.time()`
 * float, milliseconds).
 * Sends are driven by `advance`: every interval boundary passed is one reading.
 */
export class UdpMeterDevice implements SimDevice {
  readonly kind = 'udp-meter' as const;
  readonly deviceId: string;
  readonly faults: DeviceFaults;
  private readonly meter: RateMeter;
  private readonly socket: Socket;
  private interval: number;
  private nextDueMs: number;
  private lastReadingKWh: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stats = {
    sent: 0,
    acked: 0,
    otherReplies: 0,
    skipped: 0,
    sentKWh: 0,
    skippedKWh: 0,
  };
  private lastSent: string | null = null;

  constructor(private readonly options: UdpMeterDeviceOptions) {
    this.deviceId = options.deviceId;
    const now = options.clock.now();
    this.meter = new RateMeter({ startMs: now, rateKW: options.rateKW });
    this.interval = options.intervalMs;
    this.nextDueMs = now + (options.phaseMs ?? options.intervalMs);
    this.lastReadingKWh = 0;
    this.faults = new DeviceFaults(options.clock, [
      'no-reply',
      'late-reply',
      'link-flap',
      'clock-skew',
    ]);
    this.socket = createSocket('udp4');
    this.socket.on('message', (msg) => {
      if (msg.toString().trim() === '200') this.stats.acked++;
      else this.stats.otherReplies++;
    });
    this.socket.on('error', () => {});
    this.socket.unref();
  }

  info(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      meterId: this.options.meterId,
      cpf: this.options.cpf,
      target: this.options.target,
      intervalMs: this.interval,
      rateKW: this.meter.rateKW,
      fault: this.faults.active?.spec ?? null,
    };
  }

  truth(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      meterId: this.options.meterId,
      timeMs: this.meter.timeMs,
      measuredKWh: this.meter.energyKWh,
      rateKW: this.meter.rateKW,
      ...this.stats,
      lastSent: this.lastSent,
      fault: this.faults.active ?? null,
      faultsApplied: { ...this.faults.applied },
    };
  }

  setFault(spec: FaultSpec): void {
    checkFaultSupported(this, spec);
    this.faults.set(spec);
  }

  clearFault(): void {
    this.faults.clear();
  }

  setRate(change: RateChange): number {
    const rate = applyRate(this.meter.rateKW, change);
    this.meter.setRate(rate, this.options.clock.now());
    return rate;
  }

  /** When the next reading is due, clock ms. */
  get nextReadingMs(): number {
    return this.nextDueMs;
  }

  /** Changes the reading interval; the next reading is one new interval after the last one. */
  setIntervalMs(intervalMs: number): void {
    this.nextDueMs += intervalMs - this.interval;
    this.interval = intervalMs;
  }

  advance(nowMs: number): void {
    while (this.nextDueMs <= nowMs) {
      const at = this.nextDueMs;
      this.meter.advance(at);
      const value = this.meter.energyKWh - this.lastReadingKWh;
      this.lastReadingKWh = this.meter.energyKWh;
      this.nextDueMs += this.interval;
      const plan = this.faults.sendPlan();
      if (!plan.send) {
        this.stats.skipped++;
        this.stats.skippedKWh += value;
        continue;
      }
      const datagram = this.datagram(at + this.faults.clockSkewMs(), value);
      this.stats.sent++;
      this.stats.sentKWh += Number(value.toFixed(6));
      this.lastSent = datagram;
      this.send(datagram, plan.delayMs);
    }
    this.meter.advance(nowMs);
  }

  /** One reading as the configured form sends it. */
  private datagram(atMs: number, value: number): string {
    const o = this.options;
    const kind = o.timestamp ?? 'wall';
    const stamp =
      kind === 'epoch'
        ? String(Math.floor(atMs / 1000))
        : kind === 'epoch-ms'
          ? String(Math.floor(atMs))
          : kind === 'epoch-float'
            ? (atMs / 1000).toFixed(6)
            : formatDateTime(atMs, o.utcOffsetMinutes ?? -180);
    const valor = value.toFixed(6);
    if (o.format !== 'seed-json') return `${o.cpf},${o.meterId},${valor},${stamp}`;
    // Numbers as JSON numbers (a float epoch too), text as strings: what a Python meter writes.
    const ts = kind === 'wall' ? JSON.stringify(stamp) : stamp;
    const idMedidor = /^\d{1,15}$/.test(o.meterId) ? o.meterId : JSON.stringify(o.meterId);
    return `{"id":"${o.cpf}","id_medidor":${idMedidor},"valor":${valor},"timestamp":${ts}}`;
  }

  private send(datagram: string, delayMs: number): void {
    const go = () => this.socket.send(datagram, this.options.target.port, this.options.target.host);
    if (delayMs <= 0) {
      go();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      go();
    }, delayMs);
    this.timers.add(timer);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
