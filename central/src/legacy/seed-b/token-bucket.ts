import type { Clock } from '@gridlink/shared';

/**
 * Requests per key as token buckets on the injected clock: `burst` at once, refilled at
 * `perSecond`. At most `maxKeys` buckets are kept; past it, full ones are forgotten, then the
 * oldest (a flood of client ids cannot grow the table).
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly options: {
      burst: number;
      perSecond: number;
      clock: Clock;
      maxKeys?: number;
    },
  ) {}

  /** Takes a token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const now = this.options.clock.now();
    const max = this.options.maxKeys ?? 100_000;
    let b = this.#buckets.get(key);
    if (b) {
      b.tokens = this.#refilled(b, now);
      b.at = now;
    } else {
      if (this.#buckets.size >= max) this.#forget(now, max);
      b = { tokens: this.options.burst, at: now };
      this.#buckets.set(key, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  #refilled(b: { tokens: number; at: number }, now: number): number {
    const elapsed = Math.max(0, now - b.at);
    return Math.min(this.options.burst, b.tokens + (elapsed * this.options.perSecond) / 1000);
  }

  #forget(now: number, max: number): void {
    for (const [key, b] of this.#buckets)
      if (this.#refilled(b, now) >= this.options.burst) this.#buckets.delete(key);
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size < max) break;
      this.#buckets.delete(key);
    }
  }
}
