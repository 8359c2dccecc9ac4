import { type Kysely, sql } from 'kysely';
import type { TripBranch } from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import type { coordinatorBranchStates, TransactionView, transactionStates } from '../wire.js';

export type FedTransactionState = (typeof transactionStates)[number];
export type FedTxBranchState = (typeof coordinatorBranchStates)[number];

/**
 * One stop of a transaction as the coordinator asks it: the trip service's port type (`peer`
 * null: this central; ids are the owner's, the peer's for a remote stop).
 */
export type BranchPlan = TripBranch;

export interface BranchRecord extends BranchPlan {
  state: FedTxBranchState;
  reservationId: number | null;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
}

export interface TxRecord {
  id: string;
  tripId: number | null;
  state: FedTransactionState;
  holdUntil: Date;
  decidedAt: Date | null;
  finishedAt: Date | null;
  reason: string | null;
  createdBy: string;
  createdAt: Date;
  branches: BranchRecord[];
}

/** The states in which phase two still has work. */
export const OPEN_STATES = ['confirming', 'canceling', 'compensating'] as const;
export type PhaseTwoState = (typeof OPEN_STATES)[number];

/**
 * The coordinator's durable log (docs/FEDERATION.md, "The coordinator's log"): one
 * `fed_transactions` row per federated booking, one `fed_tx_branches` row per stop. The decision
 * moves only forward, by a conditional update (`from` → `to`), so a recovery pass and the booking
 * call that race for the same transaction agree on one outcome.
 */
export class TxLog {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** Writes the transaction (`trying`, every branch `pending`) and ties the trip to it. */
  async create(tx: {
    id: string;
    tripId: number | null;
    holdUntil: Date;
    createdBy: string;
    now: Date;
    branches: readonly BranchPlan[];
  }): Promise<void> {
    await this.#db.transaction().execute(async (t) => {
      await t
        .insertInto('fed_transactions')
        .values({
          id: tx.id,
          trip_id: tx.tripId,
          state: 'trying',
          hold_until: tx.holdUntil,
          created_by: tx.createdBy,
          created_at: tx.now,
          updated_at: tx.now,
        })
        .execute();
      await t
        .insertInto('fed_tx_branches')
        .values(
          tx.branches.map((b) => ({
            tx_id: tx.id,
            branch_id: b.branchId,
            peer: b.peer,
            company_id: b.companyId,
            station_id: b.stationId,
            point_id: b.pointId,
            period: sql<string>`tstzrange(${b.start.toISOString()}::timestamptz, ${b.end.toISOString()}::timestamptz)`,
            state: 'pending' as const,
            updated_at: tx.now,
          })),
        )
        .execute();
      if (tx.tripId !== null)
        await t
          .updateTable('ev_trips')
          .set({ fed_tx_id: tx.id })
          .where('id', '=', tx.tripId)
          .execute();
    });
  }

  /** Moves the transaction from one of `from` to `to`; false when it was elsewhere. */
  async move(
    id: string,
    from: readonly FedTransactionState[],
    to: FedTransactionState,
    now: Date,
    reason?: string | null,
  ): Promise<boolean> {
    const decided = to === 'confirming' || to === 'canceling';
    const final = to === 'confirmed' || to === 'canceled' || to === 'failed';
    const r = await this.#db
      .updateTable('fed_transactions')
      .set({
        state: to,
        updated_at: now,
        ...(decided ? { decided_at: now } : {}),
        ...(final ? { finished_at: now } : {}),
        ...(reason !== undefined ? { reason } : {}),
      })
      .where('id', '=', id)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async branch(
    txId: string,
    branchId: string,
    set: {
      state?: FedTxBranchState;
      reservationId?: number | null;
      /** Counts one more failed attempt. */
      failed?: { error: string; nextAttemptAt: Date | null };
      now: Date;
    },
  ): Promise<void> {
    await this.#db
      .updateTable('fed_tx_branches')
      .set((eb) => ({
        updated_at: set.now,
        ...(set.state ? { state: set.state } : {}),
        ...(set.reservationId !== undefined ? { reservation_id: set.reservationId } : {}),
        ...(set.failed
          ? {
              attempts: eb('attempts', '+', 1),
              last_error: set.failed.error.slice(0, 500),
              next_attempt_at: set.failed.nextAttemptAt,
            }
          : { next_attempt_at: null }),
      }))
      .where('tx_id', '=', txId)
      .where('branch_id', '=', branchId)
      .execute();
  }

  async get(id: string): Promise<TxRecord | null> {
    const row = await this.#db
      .selectFrom('fed_transactions')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    const [tx] = await this.#records([row]);
    return tx ?? null;
  }

  /** Transactions still `trying` created at or before `before`. */
  async stale(before: Date): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('fed_transactions')
      .select('id')
      .where('state', '=', 'trying')
      .where('created_at', '<=', before)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Transactions whose phase two is not done. */
  async open(): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('fed_transactions')
      .select('id')
      .where('state', 'in', [...OPEN_STATES])
      .orderBy('updated_at')
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Newest first. `peer`: only transactions with a branch at that peer (a participant sees the
   * transactions it takes part in).
   */
  async list(filter: {
    state?: FedTransactionState;
    peer?: string;
    limit: number;
  }): Promise<TxRecord[]> {
    let q = this.#db
      .selectFrom('fed_transactions')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.peer) {
      const peer = filter.peer;
      q = q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('fed_tx_branches as b')
            .select('b.branch_id')
            .whereRef('b.tx_id', '=', 'fed_transactions.id')
            .where('b.peer', '=', peer),
        ),
      );
    }
    return this.#records(await q.execute());
  }

  async #records(rows: readonly TxRow[]): Promise<TxRecord[]> {
    if (!rows.length) return [];
    const branches = await this.#db
      .selectFrom('fed_tx_branches')
      .select([
        'tx_id',
        'branch_id',
        'peer',
        'company_id',
        'station_id',
        'point_id',
        sql<Date>`lower(period)`.as('start'),
        sql<Date>`upper(period)`.as('end'),
        'state',
        'reservation_id',
        'attempts',
        'next_attempt_at',
        'last_error',
      ])
      .where(
        'tx_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    const byTx = new Map<string, BranchRecord[]>();
    for (const b of branches) {
      const list = byTx.get(b.tx_id) ?? [];
      list.push({
        branchId: b.branch_id,
        peer: b.peer,
        companyId: b.company_id,
        stationId: Number(b.station_id),
        pointId: Number(b.point_id),
        start: new Date(b.start),
        end: new Date(b.end),
        state: b.state,
        reservationId: b.reservation_id == null ? null : Number(b.reservation_id),
        attempts: b.attempts,
        nextAttemptAt: b.next_attempt_at ? new Date(b.next_attempt_at) : null,
        lastError: b.last_error,
      });
      byTx.set(b.tx_id, list);
    }
    return rows.map(
      (r): TxRecord => ({
        id: r.id,
        tripId: r.trip_id == null ? null : Number(r.trip_id),
        state: r.state,
        holdUntil: new Date(r.hold_until),
        decidedAt: r.decided_at ? new Date(r.decided_at) : null,
        finishedAt: r.finished_at ? new Date(r.finished_at) : null,
        reason: r.reason,
        createdBy: r.created_by,
        createdAt: new Date(r.created_at),
        branches: (byTx.get(r.id) ?? []).sort((a, b) => Number(a.branchId) - Number(b.branchId)),
      }),
    );
  }
}

interface TxRow {
  id: string;
  trip_id: string | number | null;
  state: FedTransactionState;
  hold_until: Date;
  decided_at: Date | null;
  finished_at: Date | null;
  reason: string | null;
  created_by: string;
  created_at: Date;
}

const iso = (d: Date) => d.toISOString();

/** The wire's TransactionView of a record (docs/FEDERATION.md). */
export function toTransactionView(tx: TxRecord): TransactionView {
  return {
    txId: tx.id,
    tripId: tx.tripId,
    state: tx.state,
    holdUntil: iso(tx.holdUntil),
    decidedAt: tx.decidedAt ? iso(tx.decidedAt) : null,
    finishedAt: tx.finishedAt ? iso(tx.finishedAt) : null,
    reason: tx.reason,
    branches: tx.branches.map((b) => ({
      branchId: b.branchId,
      peer: b.peer,
      companyId: b.companyId,
      stationId: b.stationId,
      pointId: b.pointId,
      start: iso(b.start),
      end: iso(b.end),
      state: b.state,
      reservationId: b.reservationId,
      attempts: b.attempts,
      lastError: b.lastError,
    })),
  };
}
