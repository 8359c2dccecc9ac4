import type { ClockAndTimers, ErrorCode } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { EvRuntime } from '../../ev/index.js';
import type { BrokerLink, TopicRouter } from '../../mqtt-router/index.js';
import type { Schema } from '../../storage/index.js';
import type { SeedBConfig } from './config.js';
import {
  LIST_TOPIC,
  listAnswer,
  listAnswerTopic,
  type Posto,
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

type Job = { kind: 'list' | 'reserve'; header: RequestHeader; payload: Buffer };

/** One warn line per code a minute; the rest are counted. */
const LOG_INTERVAL_MS = 60_000;

/**
 * Seed B's servers (docs/LEGACY-SEED-B.md): answers `server/postos/request` with the stations of
 * the company the request's `server_id` names, and `server/postos/reserva` through the reservation
 * engine, on the client's own `client/{client_id}/…` topics. The router's handler only parses the
 * header, checks the server and the client's rate and queues; `concurrency` requests are worked
 * on at once. List requests for one company arriving while its query runs share that query.
 */
export class SeedBResponder {
  readonly #d: SeedBDeps;
  readonly #rate: TokenBuckets;
  readonly #queue: Job[] = [];
  readonly #listing = new Map<string, Promise<Posto[]>>();
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
    if (this.#queue.length >= this.#d.config.maxQueued) {
      this.#counts.dropped++;
      this.#warn(
        'GL_RATE_LIMITED',
        { queued: this.#queue.length },
        'seed B request dropped: queue full',
      );
      return;
    }
    this.#queue.push({ kind, header, payload });
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#d.config.concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift() as Job;
      this.#running++;
      void this.#work(job)
        .catch((err) => {
          this.#counts.failed++;
          this.#d.logger.error(
            { err, code: 'GL_INTERNAL', clientId: job.header.client_id },
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
    const companyId = this.#d.config.servers[job.header.server_id] as string;
    if (job.kind === 'list') {
      const postos = await this.#postos(companyId);
      await this.#d.link.publish(
        listAnswerTopic(job.header.client_id),
        listAnswer(job.header.request_id, postos),
      );
      this.#counts.listed++;
      return;
    }
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

  /** The company's stations now; requests arriving while a query runs share it. */
  #postos(companyId: string): Promise<Posto[]> {
    let running = this.#listing.get(companyId);
    if (!running) {
      running = stationFacts(this.#d.db, companyId)
        .then((stations) => stations.map(toPosto))
        .finally(() => this.#listing.delete(companyId));
      this.#listing.set(companyId, running);
    }
    return running;
  }
}
