import { connect, type Socket } from 'node:net';
import type { Clock } from '../clock/index.js';
import { DeviceFaults, type FaultSpec } from '../faults/index.js';
import { applyRate, checkFaultSupported, type RateChange, type SimDevice } from './device.js';
import { formatDateTime, RateMeter } from './rate-meter.js';

export interface TcpJsonMeterDeviceOptions {
  deviceId: string;
  target: { host: string; port: number };
  clock: Clock;
  /** Reading interval, ms. Default 1000 (the original: every second). */
  intervalMs?: number;
  rateKW: number;
  initialKWh?: number;
  utcOffsetMinutes?: number;
  /** How long to wait before reconnecting after the connection drops, ms. Default 1000. */
  reconnectMs?: number;
  /**
   * The id it says hello with: 0 (default) asks for one, as the original meters did; a meter
   * bound to a configured id may say it (`{"id":N}`), so no identity rule is needed.
   */
  helloId?: number;
  /** Newline after each object (default true); false writes bare objects, as the originals could. */
  newline?: boolean;
}

type LinkState = 'idle' | 'connecting' | 'awaiting-id' | 'ready';

/**
 * The second system's meter (SEEDS E). It connects, sends `{"id":0}` and takes the id the
 * server answers (a JSON object with `id`, or a bare number). Then every interval it sends
 * `{"id", "consumption" (cumulative kWh), "datetime" ("%Y-%m-%d %H:%M:%S"), "type":"/spent"}`
 * newline-terminated (or bare, `newline: false`). Its consumption rate can be raised, lowered or
 * set at run time. `restart()` is a power cycle: it forgets its id, asks again and counts from 0.
 */
export class TcpJsonMeterDevice implements SimDevice {
  readonly kind = 'tcp-json-meter' as const;
  readonly deviceId: string;
  readonly faults: DeviceFaults;
  private readonly meter: RateMeter;
  private readonly intervalMs: number;
  private nextDueMs: number;
  private nextConnectMs: number;
  private socket: Socket | undefined;
  private state: LinkState = 'idle';
  private assignedId: number | undefined;
  private offset = 0;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly stats = { sent: 0, connects: 0, disconnects: 0, skipped: 0 };
  private lastSent: Record<string, unknown> | null = null;

  constructor(private readonly options: TcpJsonMeterDeviceOptions) {
    this.deviceId = options.deviceId;
    const now = options.clock.now();
    this.meter = new RateMeter({
      startMs: now,
      rateKW: options.rateKW,
      ...(options.initialKWh === undefined ? {} : { initialKWh: options.initialKWh }),
    });
    this.intervalMs = options.intervalMs ?? 1000;
    this.nextDueMs = now + this.intervalMs;
    this.nextConnectMs = now;
    this.faults = new DeviceFaults(options.clock, [
      'no-reply',
      'late-reply',
      'counter-reset',
      'tamper',
      'link-flap',
      'clock-skew',
    ]);
  }

  private readyWaiters: Array<(id: number) => void> = [];

  /** Resolves with the assigned id once the meter is connected and has one. */
  ready(): Promise<number> {
    if (this.state === 'ready' && this.assignedId !== undefined)
      return Promise.resolve(this.assignedId);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** The id the server assigned, once it has. */
  get id(): number | undefined {
    return this.assignedId;
  }

  private served(): number {
    return this.meter.energyKWh + this.offset;
  }

  info(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      target: this.options.target,
      assignedId: this.assignedId ?? null,
      link: this.state,
      intervalMs: this.intervalMs,
      rateKW: this.meter.rateKW,
      fault: this.faults.active?.spec ?? null,
    };
  }

  truth(): Record<string, unknown> {
    return {
      deviceId: this.deviceId,
      kind: this.kind,
      assignedId: this.assignedId ?? null,
      timeMs: this.meter.timeMs,
      measuredKWh: this.meter.energyKWh,
      servedKWh: this.served(),
      energyOffsetKWh: this.offset,
      rateKW: this.meter.rateKW,
      ...this.stats,
      lastSent: this.lastSent,
      fault: this.faults.active ?? null,
      faultsApplied: { ...this.faults.applied },
    };
  }

  setFault(spec: FaultSpec): void {
    checkFaultSupported(this, spec);
    this.meter.advance(this.options.clock.now());
    if (spec.mode === 'counter-reset') this.offset = (spec.toKWh ?? 0) - this.meter.energyKWh;
    if (spec.mode === 'tamper') this.offset -= spec.backKWh ?? 10;
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

  advance(nowMs: number): void {
    if (this.closed) return;
    const down = this.faults.linkDown(nowMs);
    if (down && this.socket) this.disconnect();
    if (!down && this.state === 'idle' && nowMs >= this.nextConnectMs) this.connect();
    while (this.nextDueMs <= nowMs) {
      const at = this.nextDueMs;
      this.nextDueMs += this.intervalMs;
      this.meter.advance(at);
      const plan = this.faults.sendPlan();
      if (!plan.send || this.state !== 'ready' || !this.socket) {
        this.stats.skipped++;
        continue;
      }
      const message = {
        id: this.assignedId,
        consumption: Number(this.served().toFixed(6)),
        datetime: formatDateTime(
          at + this.faults.clockSkewMs(),
          this.options.utcOffsetMinutes ?? -180,
        ),
        type: '/spent',
      };
      this.stats.sent++;
      this.lastSent = message;
      const line = `${JSON.stringify(message)}${this.eol}`;
      const socket = this.socket;
      if (plan.delayMs > 0) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (!socket.destroyed) socket.write(line);
        }, plan.delayMs);
        this.timers.add(timer);
      } else {
        socket.write(line);
      }
    }
    this.meter.advance(nowMs);
  }

  private connect(): void {
    this.state = 'connecting';
    this.stats.connects++;
    const socket = connect(this.options.target.port, this.options.target.host);
    this.socket = socket;
    socket.setNoDelay(true);
    let buffered = '';
    socket.on('connect', () => {
      this.state = 'awaiting-id';
      socket.write(`${JSON.stringify({ id: this.options.helloId ?? 0 })}${this.eol}`);
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.state !== 'awaiting-id') return;
      buffered += chunk.toString();
      const nl = buffered.indexOf('\n');
      const text = (nl >= 0 ? buffered.slice(0, nl) : buffered).trim();
      let id: unknown;
      try {
        const parsed: unknown = JSON.parse(text);
        id =
          typeof parsed === 'object' && parsed !== null ? (parsed as { id?: unknown }).id : parsed;
      } catch {
        if (nl < 0) return; // wait for the rest of the line
      }
      if (typeof id === 'number' && Number.isInteger(id) && id > 0) {
        this.assignedId = id;
        this.state = 'ready';
        for (const resolve of this.readyWaiters.splice(0)) resolve(id);
      } else if (nl >= 0) {
        this.disconnect(); // not an id: drop and retry later
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.state = 'idle';
      this.stats.disconnects++;
      this.nextConnectMs = this.options.clock.now() + (this.options.reconnectMs ?? 1000);
    });
  }

  private get eol(): string {
    return this.options.newline === false ? '' : '\n';
  }

  private disconnect(): void {
    this.socket?.destroy();
  }

  /**
   * A power cycle (SEEDS E): the connection drops, the meter forgets the id it was given, says
   * hello again at once and its cumulative consumption counts from 0.
   */
  restart(): void {
    this.meter.advance(this.options.clock.now());
    this.offset = -this.meter.energyKWh;
    this.assignedId = undefined;
    const old = this.socket;
    this.socket = undefined;
    this.state = 'idle';
    this.nextConnectMs = this.options.clock.now();
    old?.destroy();
    this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.socket?.destroy();
  }
}
