import { randomUUID } from 'node:crypto';
import { type ClockAndTimers, GridlinkError, isGridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Ticker } from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import type { FederationConfig } from '../config.js';
import type { BranchView, CancelRequest, TryRequest } from '../wire.js';
import type { PeerClient } from './peer-client.js';
import {
  type BranchPlan,
  type BranchRecord,
  type FedTransactionState,
  OPEN_STATES,
  TxLog,
  type TxRecord,
} from './tx-log.js';

/**
 * This central as a participant of its own transactions (F1's FederationParticipant, called
 * in-process with our own federation name as the coordinator): the same fence log and answers as
 * the participant HTTP routes, without the HTTP.
 */
export interface LocalParticipant {
  try(coordinator: string, txId: string, branchId: string, req: TryRequest): Promise<BranchView>;
  confirm(coordinator: string, txId: string, branchId: string): Promise<BranchView>;
  cancel(
    coordinator: string,
    txId: string,
    branchId: string,
    req: CancelRequest,
  ): Promise<BranchView>;
}

/**
 * Points where a process-level fault test stops the coordinator (docs/FEDERATION.md, "Test-only
 * fault hook"): the CLI builds them from GRIDLINK_FEDERATION_FAULT; nothing else sets them.
 */
export interface CoordinatorFaults {
  /** Every try answered, before the decision is written. */
  afterTries?(txId: string): void | Promise<void>;
  /** The decision written, before any phase-two call. */
  afterDecision?(txId: string): void | Promise<void>;
}

export interface CoordinatorDeps {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  logger: Logger;
  /** The federation section; `name` is set (the coordinator exists only with peers). */
  config: FederationConfig & { name: string };
  peers: PeerClient;
  local: LocalParticipant;
  faults?: CoordinatorFaults;
  /** Told when a transaction reaches a final state (confirmed, canceled, failed). */
  onSettled?: (tx: TxRecord) => Promise<void>;
}

export interface FederatedBooking {
  tripId: number;
  /** Who asked (the token's label), kept in the log. */
  createdBy: string;
  plate: string | null;
  /** Shown to the participants' operators only. */
  driver: string | null;
  /** One per stop; start and end in whole seconds. */
  branches: readonly BranchPlan[];
}

/** A refusal of a confirm that no retry can turn: the coordinator compensates. */
const FINAL_CONFIRM_REFUSALS = new Set([
  'GL_FED_HOLD_EXPIRED',
  'GL_FED_CANCELED',
  'GL_FED_BRANCH_UNKNOWN',
]);
const FINAL: ReadonlySet<FedTransactionState> = new Set(['confirmed', 'canceled', 'failed']);

/**
 * The coordinator of try–confirm/cancel across peer centrals (docs/FEDERATION.md): tries every
 * branch in parallel (each bounded by tryTimeoutMs), writes the decision to its log before any
 * phase-two call, then confirms or cancels every branch, retrying with exponential backoff until
 * each acknowledges. A confirm refused for good (the hold lapsed and the slot went to someone
 * else) turns the transaction to compensating: every branch is canceled with compensate, and it
 * ends failed, booked nowhere. `recover()` (at start and on a Ticker) decides cancel for a
 * `trying` transaction older than the try time-out and resends phase two of every open one.
 */
export class FederationCoordinator {
  readonly #d: CoordinatorDeps;
  readonly #log: TxLog;
  /** Transactions whose tries this process is sending: recovery leaves them alone. */
  readonly #trying = new Set<string>();
  /** One phase-two round at a time per transaction in this process. */
  readonly #rounds = new Map<string, Promise<unknown>>();
  #ticker: Ticker | undefined;
  #startup: Promise<void> | undefined;

  constructor(deps: CoordinatorDeps) {
    this.#d = deps;
    this.#log = new TxLog(deps.db);
  }

  get name(): string {
    return this.#d.config.name;
  }

  get log(): TxLog {
    return this.#log;
  }

  /**
   * Recovers from the log (every open transaction, backoff ignored) in the background (a peer
   * that is down must not hold our start), then on a Ticker. `started` resolves after that pass.
   */
  start(): void {
    this.#startup = this.recover({ all: true }).catch((err) =>
      this.#d.logger.error({ err }, 'federation recovery at start failed'),
    );
    this.#ticker = new Ticker(
      this.#d.clock,
      this.#d.config.retryInitialMs,
      () => this.recover(),
      (err) => this.#d.logger.error({ err }, 'federation recovery pass failed'),
    ).start();
  }

  /** Resolves when the recovery pass of start() is over. */
  get started(): Promise<void> {
    return this.#startup ?? Promise.resolve();
  }

  async close(): Promise<void> {
    await this.#ticker?.stop();
    await this.#startup;
    await Promise.allSettled([...this.#rounds.values()]);
  }

  /**
   * Books every branch all or nothing. Answers the transaction after its first phase-two round:
   * `confirmed`, `canceled` or `failed`, or still `confirming`/`canceling`/`compensating` when a
   * participant has not acknowledged yet (recovery goes on with it).
   */
  async book(b: FederatedBooking): Promise<TxRecord> {
    const { clock, config, logger } = this.#d;
    const id = randomUUID();
    const now = new Date(clock.now());
    const holdSeconds = config.holdMinutes * 60;
    await this.#log.create({
      id,
      tripId: b.tripId,
      holdUntil: new Date(now.getTime() + holdSeconds * 1000),
      createdBy: b.createdBy,
      now,
      branches: b.branches,
    });
    const log = logger.child({ txId: id, tripId: b.tripId });
    this.#trying.add(id);
    let outcome: { tried: boolean; reason: string | null };
    try {
      const results = await Promise.all(
        b.branches.map((br) =>
          this.#try(id, br, {
            pointId: br.pointId,
            start: br.start.toISOString(),
            end: br.end.toISOString(),
            plate: b.plate,
            holdSeconds,
            trip: { tripId: b.tripId, driver: b.driver, stops: b.branches.length },
          }),
        ),
      );
      const failed = results.find((r) => r !== null);
      outcome = { tried: failed === undefined, reason: failed ?? null };
      await this.#d.faults?.afterTries?.(id);
      const decided = await this.#log.move(
        id,
        ['trying'],
        outcome.tried ? 'confirming' : 'canceling',
        new Date(clock.now()),
        outcome.reason,
      );
      log.info(
        { decision: outcome.tried ? 'confirm' : 'cancel', reason: outcome.reason, decided },
        'federated transaction decided',
      );
      await this.#d.faults?.afterDecision?.(id);
    } finally {
      this.#trying.delete(id);
    }
    return this.#round(id, true);
  }

  /** The transaction as the log has it. */
  get(id: string): Promise<TxRecord | null> {
    return this.#log.get(id);
  }

  list(filter: { state?: FedTransactionState; peer?: string; limit: number }) {
    return this.#log.list(filter);
  }

  /**
   * One recovery pass: a `trying` transaction older than the try time-out (and not being tried
   * here) is decided cancel; every open transaction gets a phase-two round (`all`: every branch
   * not acknowledged, else only those whose backoff is over).
   */
  async recover(opts: { all?: boolean } = {}): Promise<void> {
    const now = this.#d.clock.now();
    for (const id of await this.#log.stale(new Date(now - this.#d.config.tryTimeoutMs))) {
      if (this.#trying.has(id)) continue;
      if (
        await this.#log.move(id, ['trying'], 'canceling', new Date(now), 'try time-out (recovered)')
      )
        this.#d.logger.warn({ txId: id }, 'federated transaction left trying: decided cancel');
    }
    for (const id of await this.#log.open()) await this.#round(id, opts.all === true);
  }

  /** A try; null when the branch is tried, else why not (the branch is try_failed). */
  async #try(txId: string, br: BranchPlan, req: TryRequest): Promise<string | null> {
    const { clock, config } = this.#d;
    try {
      const view = br.peer
        ? await this.#d.peers.try(br.peer, txId, br.branchId, req, config.tryTimeoutMs)
        : await withTimeout(
            clock,
            config.tryTimeoutMs,
            this.#d.local.try(this.name, txId, br.branchId, req),
          );
      await this.#log.branch(txId, br.branchId, {
        state: 'tried',
        reservationId: view.reservationId,
        now: new Date(clock.now()),
      });
      return null;
    } catch (err) {
      const why = describe(err);
      await this.#log.branch(txId, br.branchId, {
        state: 'try_failed',
        failed: { error: why, nextAttemptAt: null },
        now: new Date(clock.now()),
      });
      return `stop ${br.branchId}: ${why}`;
    }
  }

  /** One phase-two round, one at a time per transaction. */
  #round(id: string, all: boolean): Promise<TxRecord> {
    const before = this.#rounds.get(id) ?? Promise.resolve();
    const run = before
      .catch(() => undefined)
      .then(() => this.#phaseTwo(id, all))
      .finally(() => {
        if (this.#rounds.get(id) === run) this.#rounds.delete(id);
      });
    this.#rounds.set(id, run);
    return run;
  }

  async #phaseTwo(id: string, all: boolean): Promise<TxRecord> {
    const { clock } = this.#d;
    let tx = await this.#log.get(id);
    if (!tx) throw new GridlinkError('GL_NOT_FOUND', `federated transaction ${id} not found`);
    if (!(OPEN_STATES as readonly string[]).includes(tx.state)) return tx;
    const now = clock.now();
    const due = (b: BranchRecord) =>
      all || b.nextAttemptAt === null || b.nextAttemptAt.getTime() <= now;
    if (tx.state === 'confirming') {
      const refusals: string[] = [];
      await Promise.all(
        tx.branches
          .filter((b) => b.state !== 'confirmed' && due(b))
          .map(async (b) => {
            try {
              const view = await this.#send(id, b, 'confirm');
              await this.#log.branch(id, b.branchId, {
                state: 'confirmed',
                reservationId: view.reservationId,
                now: new Date(clock.now()),
              });
            } catch (err) {
              if (isGridlinkError(err) && FINAL_CONFIRM_REFUSALS.has(err.code)) {
                refusals.push(`stop ${b.branchId}: ${describe(err)}`);
                await this.#log.branch(id, b.branchId, {
                  failed: { error: describe(err), nextAttemptAt: null },
                  now: new Date(clock.now()),
                });
              } else await this.#retryLater(id, b, err);
            }
          }),
      );
      if (refusals.length) {
        await this.#log.move(
          id,
          ['confirming'],
          'compensating',
          new Date(clock.now()),
          refusals.join('; '),
        );
        this.#d.logger.warn({ txId: id, refusals }, 'confirm refused for good: compensating');
        return this.#phaseTwo(id, true);
      }
    } else {
      const compensate = tx.state === 'compensating';
      await Promise.all(
        tx.branches
          .filter((b) => b.state !== 'canceled' && due(b))
          .map(async (b) => {
            try {
              let view: BranchView;
              try {
                view = await this.#send(id, b, 'cancel', compensate);
              } catch (err) {
                // Committed at the participant while we decided cancel: undo it all the same.
                if (!compensate && isGridlinkError(err, 'GL_FED_ALREADY_COMMITTED'))
                  view = await this.#send(id, b, 'cancel', true);
                else throw err;
              }
              await this.#log.branch(id, b.branchId, {
                state: 'canceled',
                reservationId: view.reservationId,
                now: new Date(clock.now()),
              });
            } catch (err) {
              await this.#retryLater(id, b, err);
            }
          }),
      );
    }
    tx = (await this.#log.get(id)) as TxRecord;
    const target =
      tx.state === 'confirming'
        ? tx.branches.every((b) => b.state === 'confirmed')
          ? 'confirmed'
          : null
        : tx.branches.every((b) => b.state === 'canceled')
          ? tx.state === 'compensating'
            ? 'failed'
            : 'canceled'
          : null;
    if (target && (await this.#log.move(id, [tx.state], target, new Date(clock.now())))) {
      tx = (await this.#log.get(id)) as TxRecord;
      this.#d.logger.info({ txId: id, state: tx.state }, 'federated transaction finished');
      if (FINAL.has(tx.state))
        await this.#d
          .onSettled?.(tx)
          .catch((err) =>
            this.#d.logger.error({ err, txId: id }, 'trip not updated from its transaction'),
          );
    }
    return tx;
  }

  #send(
    id: string,
    b: BranchRecord,
    op: 'confirm' | 'cancel',
    compensate = false,
  ): Promise<BranchView> {
    const body: CancelRequest = compensate ? { compensate: true } : {};
    if (b.peer)
      return op === 'confirm'
        ? this.#d.peers.confirm(b.peer, id, b.branchId)
        : this.#d.peers.cancel(b.peer, id, b.branchId, body);
    const local = this.#d.local;
    return withTimeout(
      this.#d.clock,
      this.#d.config.callTimeoutMs,
      op === 'confirm'
        ? local.confirm(this.name, id, b.branchId)
        : local.cancel(this.name, id, b.branchId, body),
    );
  }

  async #retryLater(id: string, b: BranchRecord, err: unknown): Promise<void> {
    const { config, clock } = this.#d;
    const delay = Math.min(
      config.retryMaxMs,
      config.retryInitialMs * 2 ** Math.min(b.attempts, 30),
    );
    const now = clock.now();
    this.#d.logger.warn(
      {
        txId: id,
        branchId: b.branchId,
        peer: b.peer,
        attempt: b.attempts + 1,
        retryInMs: delay,
        err: describe(err),
      },
      'phase-two call failed; retrying later',
    );
    await this.#log.branch(id, b.branchId, {
      failed: { error: describe(err), nextAttemptAt: new Date(now + delay) },
      now: new Date(now),
    });
  }
}

function describe(err: unknown): string {
  return isGridlinkError(err)
    ? `${err.code}: ${err.message}`
    : String((err as Error)?.message ?? err);
}

/** `work`, or GL_FED_PEER_UNREACHABLE after `ms` on `clock` (the local participant's bound). */
function withTimeout<T>(clock: ClockAndTimers, ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<ClockAndTimers['setTimeout']> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(
      () =>
        reject(
          new GridlinkError('GL_FED_PEER_UNREACHABLE', `local participant: no answer in ${ms} ms`),
        ),
      ms,
    );
    timer.unref();
  });
  return Promise.race([work, bound]).finally(() => clock.clearTimeout(timer));
}
