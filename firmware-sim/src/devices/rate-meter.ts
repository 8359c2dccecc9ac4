const MS_PER_HOUR = 3_600_000;

/**
 * Energy at a settable constant rate, as the original JSON/UDP meters modelled it: cumulative
 * kWh grows by rate × time, exactly, piecewise between rate changes.
 */
export class RateMeter {
  private energy: number;
  private time: number;
  private rate: number;

  constructor(options: { startMs: number; rateKW: number; initialKWh?: number }) {
    this.time = options.startMs;
    this.rate = options.rateKW;
    this.energy = options.initialKWh ?? 0;
  }

  get timeMs(): number {
    return this.time;
  }

  get rateKW(): number {
    return this.rate;
  }

  get energyKWh(): number {
    return this.energy;
  }

  /** Integrates up to `toMs`; never backwards. */
  advance(toMs: number): void {
    if (toMs <= this.time) return;
    this.energy += (this.rate * (toMs - this.time)) / MS_PER_HOUR;
    this.time = toMs;
  }

  /** Changes the rate from `atMs` on (energy up to then is at the old rate). */
  setRate(rateKW: number, atMs: number): void {
    this.advance(atMs);
    this.rate = rateKW;
  }
}

/** `%Y-%m-%d %H:%M:%S` of a Unix time at a UTC offset in minutes (SEEDS E datetime). */
export function formatDateTime(ms: number, utcOffsetMinutes: number): string {
  const d = new Date(ms + utcOffsetMinutes * 60_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}
