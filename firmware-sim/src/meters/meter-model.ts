import { type Clock, systemClock } from '../clock/index.js';
import { symmetric, uniform } from '../random/index.js';
import { dailyShape, dayOfWeek, hourOfDay, type LoadKind } from './daily-load.js';

export interface MeterModelOptions {
  /** Same seed, same start and same times: the same values, however `advance` is stepped. */
  seed: number;
  clock?: Clock;
  /** Model time at construction; default clock.now(). */
  startMs?: number;
  /** Phase-to-neutral voltage, V. Default 220. */
  nominalVoltage?: number;
  /** Grid frequency, Hz. Default 60. */
  nominalFrequency?: number;
  /** Night-time load, W. Default seeded in 150..450. */
  /** Residential (default) or commercial load curve; both tell weekdays from weekends. */
  loadKind?: LoadKind;
  baseLoadW?: number;
  /** Evening peak load, W. Default seeded in 2500..6000. */
  peakLoadW?: number;
  /** Default 1, so power = V × I exactly. */
  powerFactor?: number;
  /** Import register at start, kWh. Default seeded in 1000..10000. */
  initialEnergyKWh?: number;
  /** Where the daily shape is anchored. Default -180 (UTC-3, America/Bahia, the system default). */
  utcOffsetMinutes?: number;
  /** Noise and load change once per step; energy integrates the step's power. Default 1000 ms. */
  stepMs?: number;
}

/** Noise channels: each quantity draws its own independent stream. */
const Channel = { load: 1, frequency: 2, voltage: [11, 12, 13], param: 100 } as const;
/** Phase indexes 0..2 (L1..L3). */
const PHASES = [0, 1, 2] as const;
const MS_PER_KWH_AT_1W = 3_600_000_000; // 1 kWh = 3.6e9 W·ms

/**
 * A three-phase household meter, deterministic from a seed. Load in W follows a daily shape
 * with ±8 % noise, split unevenly over the phases; phase voltages sit near nominal (±1 % noise
 * plus a small fixed offset per phase); current is load / (V × pf) and power is V × I × pf, so
 * the registers agree with each other. Energy import integrates total power over time, step
 * by step, and only ever grows.
 */
export class MeterModel {
  private readonly seed: number;
  private readonly clock: Clock;
  private readonly stepMs: number;
  private readonly nominalVoltage: number;
  private readonly nominalFrequency: number;
  private readonly loadKind: LoadKind;
  private readonly baseLoadW: number;
  private readonly peakLoadW: number;
  private readonly powerFactor: number;
  private readonly utcOffsetMinutes: number;
  private readonly phaseShare: readonly [number, number, number];
  private readonly phaseOffset: readonly [number, number, number];
  private energyKWh: number;
  private time: number;

  constructor(options: MeterModelOptions) {
    const param = (i: number) => uniform(options.seed, Channel.param, i);
    this.seed = options.seed;
    this.clock = options.clock ?? systemClock;
    this.time = options.startMs ?? this.clock.now();
    this.stepMs = options.stepMs ?? 1000;
    this.nominalVoltage = options.nominalVoltage ?? 220;
    this.nominalFrequency = options.nominalFrequency ?? 60;
    this.loadKind = options.loadKind ?? 'residential';
    this.baseLoadW = options.baseLoadW ?? 150 + 300 * param(0);
    this.peakLoadW = options.peakLoadW ?? 2500 + 3500 * param(1);
    this.powerFactor = options.powerFactor ?? 1;
    this.energyKWh = options.initialEnergyKWh ?? 1000 + 9000 * param(2);
    this.utcOffsetMinutes = options.utcOffsetMinutes ?? -180;
    const weights = PHASES.map((p) => 0.7 + 0.6 * param(3 + p));
    const sum = weights.reduce((a, b) => a + b, 0);
    this.phaseShare = weights.map((w) => w / sum) as [number, number, number];
    this.phaseOffset = PHASES.map((p) => 0.005 * symmetric(options.seed, Channel.param, 6 + p)) as [
      number,
      number,
      number,
    ];
    if (!(this.stepMs > 0)) throw new RangeError('stepMs must be positive');
  }

  /** Model time, ms since the Unix epoch. */
  get timeMs(): number {
    return this.time;
  }

  /**
   * Moves the model to `toMs` (default: the clock's now), integrating energy over the steps in
   * between. Time never runs backwards: an earlier `toMs` changes nothing.
   */
  advance(toMs: number = this.clock.now()): void {
    while (this.time < toMs) {
      const step = Math.floor(this.time / this.stepMs);
      const stepEnd = Math.min((step + 1) * this.stepMs, toMs);
      this.energyKWh += (this.loadW(step) * (stepEnd - this.time)) / MS_PER_KWH_AT_1W;
      this.time = stepEnd;
    }
  }

  /** Values at the model time, keyed by profile field name (Eastron SDM630 names). */
  values(): Record<string, number> {
    const step = Math.floor(this.time / this.stepMs);
    const load = this.loadW(step);
    const out: Record<string, number> = {};
    let total = 0;
    for (const p of PHASES) {
      const noise = 0.01 * symmetric(this.seed, Channel.voltage[p], step);
      const v = this.nominalVoltage * (1 + this.phaseOffset[p] + noise);
      const i = (load * this.phaseShare[p]) / (v * this.powerFactor);
      const power = v * i * this.powerFactor;
      out[`voltage_l${p + 1}`] = v;
      out[`current_l${p + 1}`] = i;
      out[`power_l${p + 1}`] = power;
      total += power;
    }
    out.power_total = total;
    out.power_factor = this.powerFactor;
    out.frequency = this.nominalFrequency + 0.05 * symmetric(this.seed, Channel.frequency, step);
    out.energy_import = this.energyKWh;
    out.energy_export = 0;
    return out;
  }

  /** Total active load during one step, W. */
  private loadW(step: number): number {
    const at = step * this.stepMs;
    const shape = dailyShape(
      hourOfDay(at, this.utcOffsetMinutes),
      dayOfWeek(at, this.utcOffsetMinutes),
      this.loadKind,
    );
    const noise = 1 + 0.08 * symmetric(this.seed, Channel.load, step);
    return (this.baseLoadW + (this.peakLoadW - this.baseLoadW) * shape) * noise;
  }
}
