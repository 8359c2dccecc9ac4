import type { ClockAndTimers, ErrorCode } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { EvRuntime } from '../../ev/index.js';
import type { BrokerLink, TopicRouter } from '../../mqtt-router/index.js';
import type { Schema } from '../../storage/index.js';
import type { SeedBConfig } from './config.js';
import {
  LIST_TOPIC,
  listAnswerTopic,
  listAnswerWith,
  parseHeader,
  parseReserve,
  RESERVE_TOPIC,
  type RequestHeader,
  reserveAnswer,
  reserveAnswerTopic,
} from './messages.js';
import { stationFacts, toPosto } from './postos.js';
import { reserve } from './reserve.js';
import { TokenBuckets } from './token-bucket.js';

export interface SeedBDeps {
  db: Kysely<Schema>;
  router: TopicRouter;
  link: BrokerLink;
  reservations: EvRuntime['reservations'];
  clock: ClockAndTimers;
  logger: Logger;
  config: SeedBConfig;
}

/** What happened to the requests taken so far (for tests and the log). */
export interface SeedBCounts {
  listed: number;
  reserved: number;
  refusedReservations: number;
  /** Not JSON, or no request id / client id / server id to answer. */
  invalid: number;
  /** Naming a server this central does not answer for (left to that server). */
  otherServer: number;
  rateLimited: number;
  /** Dropped because the queue was full. */
  dropped: number;
  failed: number;
}

type Job =
  /** Every list request waiting for the company's next query (`#lists`). */
  { kind: 'list'; companyId: string } | { kind: 'reserve'; header: RequestHeader; payload: Buffer };

/** The list requests of one company: those waiting for its next query, and whether it runs. */
interface CompanyLists {
  waiting: RequestHeader[];
  /** A `list` job for the company is in the queue (the waiting join it when it runs). */
  queued: boolean;
  running: boolean;
}

/** One warn line per code a minute; the rest are counted. */
const LOG_INTERVAL_MS = 60_000;

/**
 * Seed B's servers (docs/LEGACY-SEED-B.md): answers `server/postos/request` with the stations of
 * the company the request's `server_id` names, and `server/postos/reserva` through the reservation
 * engine, on the client's own `client/{client_id}/…` topics. The router's handler only parses the
 * header, checks the server and the client's rate and queues; `concurrency` requests are worked
 * on at once. List requests for one company wait together for its next station query: one
 * query per company at a time, started after every request it answers arrived (so the list is
 * never older than the request), its `postos` serialized once and spliced into every answer.
 */
export class SeedBResponder {
  readonly #d: SeedBDeps;
  readonly #rate: TokenBuckets;
  readonly #queue: Job[] = [];
  readonly #lists = new Map<string, CompanyLists>();
  /** List requests waiting for their company's next query (counted against `maxQueued`). */
  #waitingLists = 0;
  readonly #loggedAt = new Map<string, number>();
  #running = 0;
  #closed = false;
  #idle: Array<() => void> = [];
  readonly #counts: SeedBCounts = {
    listed: 0,
    reserved: 0,
    refusedReservations: 0,
    invalid: 0,
    otherServer: 0,
    rateLimited: 0,
    dropped: 0,
    failed: 0,
  };

  private constructor(deps: SeedBDeps) {
    this.#d = deps;
    this.#rate = new TokenBuckets({ ...deps.config.rate, clock: deps.clock });
  }

  static async start(deps: SeedBDeps): Promise<SeedBResponder> {
    const responder = new SeedBResponder(deps);
    await deps.router.register(LIST_TOPIC, (_t, payload) => responder.#take('list', payload));
    await deps.router.register(RESERVE_TOPIC, (_t, payload) => responder.#take('reserve', payload));
    return responder;
  }

  counts(): Readonly<SeedBCounts> {
    return { ...this.#counts };
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Stops taking requests (the router keeps its filters) and waits for those taken. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  #warn(code: ErrorCode, fields: Record<string, unknown>, msg: string): void {
    const now = this.#d.clock.now();
    if (now - (this.#loggedAt.get(msg) ?? Number.NEGATIVE_INFINITY) < LOG_INTERVAL_MS) return;
    this.#loggedAt.set(msg, now);
    this.#d.logger.warn({ code, ...fields, counts: this.counts() }, msg);
  }

  #take(kind: Job['kind'], payload: Buffer): void {
    if (this.#closed) return;
    const head = parseHeader(payload);
    if (!head.ok) {
      this.#counts.invalid++;
      this.#warn('GL_VALIDATION', { topic: kind, reason: head.message }, 'seed B request ignored');
      return;
    }
    const header = head.value;
    if (!Object.hasOwn(this.#d.config.servers, header.server_id)) {
      this.#counts.otherServer++;
      return;
    }
    if (!this.#rate.take(header.client_id)) {
      this.#counts.rateLimited++;
      this.#warn(
        'GL_RATE_LIMITED',
        { clientId: header.client_id },
        'seed B requests refused: too many from one client',
      );
      return;
    }
    if (this.#queue.length + this.#waitingLists >= this.#d.config.maxQueued) {
      this.#counts.dropped++;
      this.#warn(
        'GL_RATE_LIMITED',
        { queued: this.#queue.length + this.#waitingLists },
        'seed B request dropped: queue full',
      );
      return;
    }
    if (kind === 'list') this.#waitList(header);
    else this.#queue.push({ kind, header, payload });
    this.#pump();
  }

  /** Joins the company's next query; queues one when none is queued or running. */
  #waitList(header: RequestHeader): void {
    const companyId = this.#d.config.servers[header.server_id] as string;
    let lists = this.#lists.get(companyId);
    if (!lists) {
      lists = { waiting: [], queued: false, running: false };
      this.#lists.set(companyId, lists);
    }
    lists.waiting.push(header);
    this.#waitingLists++;
    this.#queueList(companyId, lists);
  }

  #queueList(companyId: string, lists: CompanyLists): void {
    if (lists.queued || lists.running || lists.waiting.length === 0) return;
    lists.queued = true;
    this.#queue.push({ kind: 'list', companyId });
  }

  #pump(): void {
    while (this.#running < this.#d.config.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift() as Job;
      this.#running++;
      void this.#work(job)
        .catch((err) => {
          this.#counts.failed++;
          this.#d.logger.error(
            {
              err,
              code: 'GL_INTERNAL',
              ...(job.kind === 'list'
                ? { companyId: job.companyId }
                : { clientId: job.header.client_id }),
            },
            'seed B request failed',
          );
        })
        .finally(() => {
          this.#running--;
          this.#pump();
          if (this.#running === 0 && this.#queue.length === 0)
            for (const resolve of this.#idle.splice(0)) resolve();
        });
    }
  }

  async #work(job: Job): Promise<void> {
    if (job.kind === 'list') return this.#list(job.companyId);
    const companyId = this.#d.config.servers[job.header.server_id] as string;
    const parsed = parseReserve(job.payload);
    const outcome = parsed.ok
      ? await reserve(
          {
            db: this.#d.db,
            reservations: this.#d.reservations,
            now: () => new Date(this.#d.clock.now()),
            reservationMinutes: this.#d.config.reservationMinutes,
          },
          companyId,
          parsed.value,
        )
      : { status: 'erro' as const, mensagem: `requisição inválida: ${parsed.message}` };
    await this.#d.link.publish(
      reserveAnswerTopic(job.header.client_id),
      reserveAnswer(job.header.request_id, outcome.status, outcome.mensagem),
    );
    if (outcome.status === 'sucesso') this.#counts.reserved++;
    else this.#counts.refusedReservations++;
  }

  /**
   * One station query for every list request waiting for the company; `postos` is serialized
   * once. Requests arriving meanwhile wait for the next query (queued when this one ends).
   */
  async #list(companyId: string): Promise<void> {
    const lists = this.#lists.get(companyId) as CompanyLists;
    lists.queued = false;
    lists.running = true;
    const batch = lists.waiting.splice(0);
    this.#waitingLists -= batch.length;
    try {
      let postos: string;
      try {
        postos = JSON.stringify((await stationFacts(this.#d.db, companyId)).map(toPosto));
      } catch (err) {
        this.#counts.failed += batch.length - 1; // the job's own failure counts the last one
        throw err;
      }
      const sent = await Promise.allSettled(
        batch.map((header) =>
          this.#d.link.publish(
            listAnswerTopic(header.client_id),
            listAnswerWith(header.request_id, postos),
          ),
        ),
      );
      let failed: unknown;
      for (const outcome of sent) {
        if (outcome.status === 'fulfilled') this.#counts.listed++;
        else {
          this.#counts.failed++;
          failed ??= outcome.reason;
        }
      }
      if (failed !== undefined)
        this.#d.logger.error(
          { err: failed, code: 'GL_INTERNAL', companyId },
          'seed B list answers failed',
        );
    } finally {
      lists.running = false;
      if (lists.waiting.length === 0) this.#lists.delete(companyId);
      else this.#queueList(companyId, lists);
    }
  }
}
