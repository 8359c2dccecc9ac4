import { randomInt } from 'node:crypto';

/** Who a connection acts for: anonymous (confined by address) or an API token's principal. */
export type SeedCCaller =
  | { kind: 'anonymous' }
  | { kind: 'driver'; driverId: number; tokenId: string }
  | { kind: 'staff'; tokenId: string };

/** The best station a SELECTION_STATION found for a user, kept for its PAYMENT. */
export interface Selection {
  stationId: number;
  /** When the car reaches the station and how long it charges there, ms. */
  travelMs: number;
  chargeMs: number;
  priceCentavos: number;
  at: number;
}

/** A LOGIN: what the journey knows of the user. */
export interface SeedCUser {
  id: number;
  name: string;
  /** The user name as a plate (upper case, no dash) when it is one, else null. */
  plate: string | null;
  model: string;
  batteryPct: number;
  /** Whose LOGIN it is: another caller's requests do not see it. */
  owner: string;
  routeKm: number | null;
  selection: Selection | null;
  reservationId: number | null;
  lastUsed: number;
}

export function ownerKey(c: SeedCCaller): string {
  return c.kind === 'anonymous' ? 'anonymous' : `${c.kind}:${c.tokenId}`;
}

/**
 * LOGIN sessions, in memory (docs/LEGACY-SEED-C.md, "Users"): the original kept its users in
 * memory too, and a user lives for one journey. A central restart forgets them (the client logs
 * in again). Bounded: at most `maxUsers` (least recently used first out) and each forgotten
 * after `ttlMs` unused. Ids are random integers below 2^48, not a counter: an anonymous client
 * cannot walk other users' ids.
 */
export class SeedCUsers {
  readonly #byId = new Map<number, SeedCUser>();
  readonly #max: number;
  readonly #ttlMs: number;

  constructor(maxUsers: number, ttlMs: number) {
    this.#max = maxUsers;
    this.#ttlMs = ttlMs;
  }

  get size(): number {
    return this.#byId.size;
  }

  add(
    u: Omit<SeedCUser, 'id' | 'lastUsed' | 'routeKm' | 'selection' | 'reservationId'>,
    now: number,
  ) {
    let id = randomInt(1, 2 ** 48);
    while (this.#byId.has(id)) id = randomInt(1, 2 ** 48);
    const user: SeedCUser = {
      ...u,
      id,
      routeKm: null,
      selection: null,
      reservationId: null,
      lastUsed: now,
    };
    this.#byId.set(id, user);
    while (this.#byId.size > this.#max) {
      const oldest = this.#byId.keys().next().value as number;
      this.#byId.delete(oldest);
    }
    return user;
  }

  /** The user, if it exists, is the caller's and is not stale; marks it used. */
  get(id: unknown, caller: SeedCCaller, now: number): SeedCUser | null {
    if (typeof id !== 'number' && typeof id !== 'string') return null;
    const key = typeof id === 'string' ? Number(id) : id;
    const user = this.#byId.get(key);
    if (!user) return null;
    if (now - user.lastUsed > this.#ttlMs) {
      this.#byId.delete(key);
      return null;
    }
    if (user.owner !== ownerKey(caller)) return null;
    user.lastUsed = now;
    // Most recently used last: the eviction order.
    this.#byId.delete(key);
    this.#byId.set(key, user);
    return user;
  }
}
