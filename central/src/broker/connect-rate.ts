import type { Clock } from '@gridlink/shared';

/**
 * New connections per source address, as a token bucket: `burst` connections at once, refilled
 * at `perSecond`. Time comes from the injected clock, so tests drive it with a fake one.
 */
export interface ConnectRateOptions {
  burst: number;
  perSecond: number;
  clock: Clock;
  /**
   * Addresses remembered at most. Past it, buckets that have refilled are forgotten (they would
   * start full anyway), then the oldest: a flood from many addresses cannot grow the table.
   */
  maxAddresses?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class ConnectRate {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxAddresses: number;

  constructor(private readonly options: ConnectRateOptions) {
    this.maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Takes one token for `address`; false when its bucket is empty (refuse the connection). */
  take(address: string): boolean {
    const now = this.options.clock.now();
    let bucket = this.buckets.get(address);
    if (bucket) {
      bucket.tokens = this.refilled(bucket, now);
      bucket.at = now;
    } else {
      if (this.buckets.size >= this.maxAddresses) this.forget(now);
      bucket = { tokens: this.options.burst, at: now };
      this.buckets.set(address, bucket);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Addresses currently remembered (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private refilled(bucket: Bucket, now: number): number {
    const elapsed = Math.max(0, now - bucket.at);
    return Math.min(this.options.burst, bucket.tokens + (elapsed * this.options.perSecond) / 1000);
  }

  private forget(now: number): void {
    for (const [address, bucket] of this.buckets)
      if (this.refilled(bucket, now) >= this.options.burst) this.buckets.delete(address);
    // Still full: drop the oldest entries (Map keeps insertion order).
    for (const address of this.buckets.keys()) {
      if (this.buckets.size < this.maxAddresses) break;
      this.buckets.delete(address);
    }
  }
}
