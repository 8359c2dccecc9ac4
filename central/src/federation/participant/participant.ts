import { type Clock, formatZodIssues, GridlinkError, isGridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Schema } from '../../storage/index.js';
import {
  type BranchView,
  branchId as branchIdSchema,
  peerName,
  type TryRequest,
  tryRequest,
  txId as txIdSchema,
} from '../wire.js';
import {
  type BranchKey,
  type BranchRow,
  getBranch,
  HOLD_EXPIRED,
  insertBranch,
  isHoldGone,
  listBranches,
  liveReservationOf,
  moveBranch,
  reservationState,
  settleLostHolds,
  toBranchView,
} from './fence-store.js';

/** Who acts on a reservation for a branch: the central itself, labelled with the coordinator. */
export interface BranchActor {
  kind: 'system';
  label: string;
}

/** A booking as the participant reads it back. */
export interface HeldBooking {
  id: number;
  state: string;
  holdExpiresAt: string | null;
}

/**
 * What the participant needs of the reservation engine (ev/reservations' ReservationEngine
 * satisfies it): a port, so federation does not import ev (ev's trips plan over federation).
 */
export interface ParticipantReservations {
  book(
    req: {
      pointId: number;
      plate: string | null;
      start: Date;
      end: Date;
      hold?: boolean;
      holdSeconds?: number;
      requestId: string;
      source: 'federation';
    },
    by: BranchActor,
  ): Promise<HeldBooking>;
  confirm(id: number, by: BranchActor): Promise<unknown>;
  cancel(id: number, reason: 'FEDERATION', by: BranchActor): Promise<unknown>;
}

export interface ParticipantOptions {
  db: Kysely<Schema>;
  clock: Clock;
  reservations: ParticipantReservations;
  /** `federation.maxHoldMinutes`: the longest hold a try is granted. */
  maxHoldMinutes: number;
  logger: Logger;
}

export interface TryOutcome {
  /** False when the try was a repeat (the same answer again). */
  created: boolean;
  branch: BranchView;
}

export interface BranchListFilter {
  txId?: string;
  coordinator?: string;
  companyId?: string;
  limit?: number;
}

/** Reasons recorded on the fence row (shown to the coordinator and to our operators). */
const REASON = {
  canceled: 'canceled by the coordinator',
  slotTaken: 'slot taken',
  notBookable: 'point not bookable',
  compensated: 'compensated by the coordinator',
  rebooked: 'hold expired; re-booked the same slot',
} as const;

const LIVE = new Set(['PENDING', 'RESERVED', 'FULFILLED']);

function parse<T>(schema: z.ZodType<T>, value: unknown, path: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new GridlinkError(
    'GL_VALIDATION',
    `${path}: ${formatZodIssues(r.error)}`,
    r.error.issues.map((i) => ({ path: [path, ...i.path].join('.'), message: i.message })),
  );
}

/** The checked fence key (also what the routes' path parameters say). */
export function branchKey(coordinator: string, txId: string, branchId: string): BranchKey {
  return {
    coordinator: parse(peerName, coordinator, 'coordinator'),
    txId: parse(txIdSchema, txId, 'txId'),
    branchId: parse(branchIdSchema, branchId, 'branchId'),
  };
}

/** The reservation engine's request id of a branch's try (and of its re-book). */
export const tryRequestId = (k: BranchKey) => `fed:${k.coordinator}:${k.txId}:${k.branchId}`;
const rebookRequestId = (k: BranchKey) => `${tryRequestId(k)}:rebook`;

const canceledError = (r: BranchRow) =>
  new GridlinkError(
    'GL_FED_CANCELED',
    `branch ${r.branchId} of ${r.txId} is ${r.state}${r.reason ? ` (${r.reason})` : ''}: refused`,
    { state: r.state, reason: r.reason },
  );

/**
 * The participant's side of a federated booking (docs/FEDERATION.md): try, confirm and cancel
 * of one branch, over the reservation engine, fenced by the `fed_branches` log so repeats,
 * reorderings and concurrent deliveries answer the same and hold at most one slot. Knows nothing
 * of HTTP: the coordinator is a name (the peer token's subject, or our own for local stops).
 *
 * Order of effects, so a crash between two steps leaves nothing a later message cannot finish:
 * a try books first (idempotent by its request id) and then records `tried`; a cancel records
 * first and then cancels the reservation (a repeat cancels it again if still live); a confirm
 * confirms first and then records `committed` (a repeat sees RESERVED and records it).
 */
export class FederationParticipant {
  readonly #o: ParticipantOptions;

  constructor(options: ParticipantOptions) {
    this.#o = options;
  }

  #now(): Date {
    return new Date(this.#o.clock.now());
  }

  #actor(k: BranchKey): BranchActor {
    return { kind: 'system', label: `peer:${k.coordinator}` };
  }

  /** The row after settling a hold the engine let go (expiry, a broken charger). */
  async #read(k: BranchKey): Promise<BranchRow | null> {
    await settleLostHolds(this.#o.db, { key: k }, this.#now());
    return getBranch(this.#o.db, k);
  }

  /** Try: hold `pointId` for [start, end). 201 (created) or the same answer again. */
  async try(key: BranchKey, input: TryRequest): Promise<TryOutcome> {
    const req = parse(tryRequest, input, 'try');
    const start = new Date(req.start);
    const end = new Date(req.end);
    const existing = await this.#read(key);
    if (existing) return { created: false, branch: this.#repeatTry(existing, req) };
    let booked: HeldBooking;
    try {
      booked = await this.#o.reservations.book(
        {
          pointId: req.pointId,
          plate: req.plate ?? null,
          start,
          end,
          hold: true,
          holdSeconds: Math.min(req.holdSeconds, this.#o.maxHoldMinutes * 60),
          requestId: tryRequestId(key),
          source: 'federation',
        },
        this.#actor(key),
      );
    } catch (err) {
      const refused = isGridlinkError(err)
        ? err.code === 'GL_EV_SLOT_TAKEN'
          ? REASON.slotTaken
          : err.code === 'GL_EV_POINT_NOT_BOOKABLE'
            ? REASON.notBookable
            : null
        : null;
      if (refused === null) throw err;
      // Nothing held: recorded, so a late cancel answers from the row. A concurrent repeat that
      // booked (impossible with one request id, but cheap to honour) wins the row.
      const row = await insertBranch(
        this.#o.db,
        key,
        {
          state: 'rolled_back',
          pointId: req.pointId,
          start,
          end,
          plate: req.plate ?? null,
          trip: req.trip,
          reason: refused,
        },
        this.#now(),
      );
      if (row) throw err;
      const winner = await this.#read(key);
      if (!winner) throw err;
      return { created: false, branch: this.#repeatTry(winner, req) };
    }
    if (!LIVE.has(booked.state)) {
      // The request id's booking from an earlier try of this key that is over (its row lost to
      // a crash): nothing is held now, and the branch cannot be tried again.
      const row = await insertBranch(
        this.#o.db,
        key,
        {
          state: 'rolled_back',
          pointId: req.pointId,
          start,
          end,
          plate: req.plate ?? null,
          reservationId: booked.id,
          trip: req.trip,
          reason: booked.state === 'EXPIRED' ? HOLD_EXPIRED : `hold-lost: ${booked.state}`,
        },
        this.#now(),
      );
      const r = row ?? (await this.#read(key));
      if (!r) throw new GridlinkError('GL_INTERNAL', 'fence row vanished');
      if (r.state === 'tried' || r.state === 'committed')
        return { created: false, branch: this.#repeatTry(r, req) };
      throw canceledError(r);
    }
    const row = await insertBranch(
      this.#o.db,
      key,
      {
        state: 'tried',
        pointId: req.pointId,
        start,
        end,
        plate: req.plate ?? null,
        reservationId: booked.id,
        holdExpiresAt: booked.holdExpiresAt ? new Date(booked.holdExpiresAt) : null,
        trip: req.trip,
      },
      this.#now(),
    );
    if (row) return { created: true, branch: toBranchView(row) };
    // Someone wrote the row between our read and now: a duplicate try (same reservation), or a
    // cancel that came first (then let go of what we just held).
    const winner = await this.#read(key);
    if (winner && (winner.state === 'tried' || winner.state === 'committed'))
      return { created: false, branch: this.#repeatTry(winner, req) };
    await this.#release(booked.id, key);
    throw winner ? canceledError(winner) : new GridlinkError('GL_INTERNAL', 'fence row vanished');
  }

  /** A try whose row exists: the same answer, unless it was canceled or names another slot. */
  #repeatTry(r: BranchRow, req: TryRequest): BranchView {
    if (r.state !== 'tried' && r.state !== 'committed') throw canceledError(r);
    if (
      r.pointId !== req.pointId ||
      r.start?.getTime() !== Date.parse(req.start) ||
      r.end?.getTime() !== Date.parse(req.end)
    )
      throw new GridlinkError(
        'GL_CONFLICT',
        `branch ${r.branchId} of ${r.txId} was tried for another point or slot`,
        { pointId: r.pointId, start: toBranchView(r).start, end: toBranchView(r).end },
      );
    return toBranchView(r);
  }

  /** Confirm: the held reservation becomes RESERVED; after a lapsed hold, re-book if free. */
  async confirm(key: BranchKey): Promise<BranchView> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.#read(key);
      if (!r)
        throw new GridlinkError(
          'GL_FED_BRANCH_UNKNOWN',
          `no branch ${key.branchId} of ${key.txId} from ${key.coordinator}`,
        );
      if (r.state === 'committed') return toBranchView(r);
      if (r.state === 'rolled_back' && isHoldGone(r.reason)) return this.#rebook(r);
      if (r.state !== 'tried') throw canceledError(r);
      const id = r.reservationId as number;
      await this.#o.reservations.confirm(id, this.#actor(key)).catch((err: unknown) => {
        // A duplicate confirm got there first (RESERVED), or the hold lapsed (now EXPIRED): the
        // row is settled from the reservation below and the loop answers from it.
        if (!isGridlinkError(err) || err.code !== 'GL_EV_BOOKING_STATE') throw err;
      });
      const now = await reservationState(this.#o.db, id);
      if (now && (now.state === 'RESERVED' || now.state === 'FULFILLED')) {
        const moved = await moveBranch(
          this.#o.db,
          key,
          { from: ['tried'], to: 'committed' },
          this.#now(),
        );
        if (moved) return toBranchView(moved);
      }
      // Moved by someone else meanwhile (a cancel, a duplicate confirm, the expiry): read again.
    }
    throw new GridlinkError('GL_CONFLICT', `branch ${key.branchId} of ${key.txId} keeps changing`);
  }

  /** The hold went by itself: book the same slot again (no hold) if it is still free. */
  async #rebook(r: BranchRow): Promise<BranchView> {
    let booked: HeldBooking;
    try {
      booked = await this.#o.reservations.book(
        {
          pointId: r.pointId as number,
          plate: r.plate,
          start: r.start as Date,
          end: r.end as Date,
          requestId: rebookRequestId(r),
          source: 'federation',
        },
        this.#actor(r),
      );
    } catch (err) {
      if (!isGridlinkError(err) || err.status >= 500) throw err;
      throw new GridlinkError(
        'GL_FED_HOLD_EXPIRED',
        `branch ${r.branchId} of ${r.txId}: the hold expired and the slot cannot be booked again (${err.code}: ${err.message})`,
        { reason: r.reason, cause: err.code },
      );
    }
    const moved = await moveBranch(
      this.#o.db,
      r,
      {
        from: ['rolled_back'],
        to: 'committed',
        reason: REASON.rebooked,
        reservationId: booked.id,
        holdGoneOnly: true,
      },
      this.#now(),
    );
    if (moved) return toBranchView(moved);
    const now = await getBranch(this.#o.db, r);
    // A duplicate confirm re-booked the same way (one request id, one reservation).
    if (now?.state === 'committed' && now.reservationId === booked.id) return toBranchView(now);
    await this.#release(booked.id, r);
    throw now ? canceledError(now) : new GridlinkError('GL_INTERNAL', 'fence row vanished');
  }

  /**
   * Cancel: before its try → `suspended` (the late try is refused); tried → `rolled_back`;
   * committed → refused unless `compensate` (then `compensated`). Repeats answer the same and
   * let go of a reservation still held.
   */
  async cancel(key: BranchKey, opts: { compensate?: boolean } = {}): Promise<BranchView> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.#read(key);
      if (!r) {
        const row = await insertBranch(
          this.#o.db,
          key,
          { state: 'suspended', reason: 'canceled before its try' },
          this.#now(),
        );
        if (!row) continue;
        // A try that booked and died before writing its row: let its hold go now.
        const stray = await liveReservationOf(this.#o.db, tryRequestId(key));
        if (stray !== null) await this.#release(stray, key);
        return toBranchView(row);
      }
      if (r.state === 'suspended' || r.state === 'rolled_back' || r.state === 'compensated') {
        if (r.reservationId !== null) await this.#release(r.reservationId, key);
        return toBranchView(r);
      }
      if (r.state === 'committed' && !opts.compensate)
        throw new GridlinkError(
          'GL_FED_ALREADY_COMMITTED',
          `branch ${key.branchId} of ${key.txId} is committed: cancel with compensate: true`,
        );
      const moved = await moveBranch(
        this.#o.db,
        key,
        r.state === 'tried'
          ? { from: ['tried'], to: 'rolled_back', reason: REASON.canceled }
          : { from: ['committed'], to: 'compensated', reason: REASON.compensated },
        this.#now(),
      );
      if (!moved) continue;
      if (moved.reservationId !== null) await this.#release(moved.reservationId, key);
      return toBranchView(moved);
    }
    throw new GridlinkError('GL_CONFLICT', `branch ${key.branchId} of ${key.txId} keeps changing`);
  }

  /** Cancels a reservation if still PENDING or RESERVED (reason FEDERATION); never throws for state. */
  async #release(id: number, key: BranchKey): Promise<void> {
    const now = await reservationState(this.#o.db, id);
    if (!now || (now.state !== 'PENDING' && now.state !== 'RESERVED')) {
      if (now?.state === 'FULFILLED')
        this.#o.logger.warn(
          { reservationId: id, txId: key.txId, branchId: key.branchId },
          'federation: canceled branch whose car is already charging; left as is',
        );
      return;
    }
    await this.#o.reservations.cancel(id, 'FEDERATION', this.#actor(key)).catch((err: unknown) => {
      if (!isGridlinkError(err) || err.code !== 'GL_EV_BOOKING_STATE') throw err;
    });
  }

  /** The branch as it stands (a lapsed hold reads `rolled_back`, reason hold-expired). */
  async get(key: BranchKey): Promise<BranchView> {
    const r = await this.#read(key);
    if (!r)
      throw new GridlinkError(
        'GL_FED_BRANCH_UNKNOWN',
        `no branch ${key.branchId} of ${key.txId} from ${key.coordinator}`,
      );
    return toBranchView(r);
  }

  /** Branches, newest first: one transaction's (txId), one coordinator's, one company's. */
  async list(filter: BranchListFilter): Promise<BranchView[]> {
    const txId = filter.txId === undefined ? undefined : parse(txIdSchema, filter.txId, 'txId');
    await settleLostHolds(this.#o.db, txId === undefined ? 'all' : { txId }, this.#now());
    const rows = await listBranches(this.#o.db, {
      ...(txId === undefined ? {} : { txId }),
      ...(filter.coordinator === undefined ? {} : { coordinator: filter.coordinator }),
      ...(filter.companyId === undefined ? {} : { companyId: filter.companyId }),
      limit: filter.limit ?? 100,
    });
    return rows.map(toBranchView);
  }
}
