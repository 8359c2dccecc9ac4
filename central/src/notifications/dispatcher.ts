import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { ClockAndTimers, TimerHandle } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../storage/index.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';
import { claimDue, type DueDelivery, nextDueAt, recordAttempt } from './store.js';
import { isRefusedAddress, type TargetPolicy } from './target.js';

export interface WebhookSettings extends TargetPolicy {
  /** An attempt with no complete answer by then is abandoned (and retried). */
  timeoutMs: number;
  /** Attempts per delivery, the first included; then the delivery is `failed`. */
  maxAttempts: number;
  /** Delay before attempt n+1: min(maxMs, baseMs × 2^(n−1)). */
  backoff: { baseMs: number; maxMs: number };
  /** How often pending deliveries queued by another central are looked for. */
  pollMs: number;
}

export const DEFAULT_WEBHOOK_SETTINGS: WebhookSettings = Object.freeze({
  allowLoopback: false,
  timeoutMs: 10_000,
  maxAttempts: 8,
  backoff: Object.freeze({ baseMs: 30_000, maxMs: 3_600_000 }),
  pollMs: 60_000,
});

/** Attempts in flight at once, per central. */
const MAX_IN_FLIGHT = 16;
/** The lease of a claimed delivery beyond its timeout: a central that dies leaves it due after. */
const LEASE_MARGIN_MS = 60_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export function backoffDelay(attempt: number, b: WebhookSettings['backoff']): number {
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.max(0, attempt - 1));
}

interface Outcome {
  status: number | null;
  error: string | null;
  /** The target address was refused: retrying cannot help. */
  refused?: boolean;
}

/**
 * Delivers queued alarm webhooks (docs/ALARMS.md, "Notifications"): each pending delivery is
 * POSTed, signed, and every attempt recorded; a failure is retried after a backoff on the
 * injected clock, up to `maxAttempts`. Deliveries live in the database, so a restart or another
 * central picks up what is due.
 */
export class WebhookDispatcher {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Attempts in flight: a slow receiver holds its own slot, not the others' deliveries. */
  private readonly inflight = new Set<Promise<void>>();
  /** Their requests, aborted by `stop`. */
  private readonly requests = new Set<http.ClientRequest>();

  constructor(
    private readonly options: {
      db: Kysely<Schema>;
      clock: ClockAndTimers;
      logger: Logger;
      settings: WebhookSettings;
    },
  ) {}

  /** Starts looking for due deliveries now (and every `pollMs`). */
  start(): void {
    this.kick();
  }

  /** New deliveries were queued: send them now. */
  notify(): void {
    this.kick();
  }

  /**
   * Stops claiming and arming timers; aborts the requests in flight (each is recorded as a failed
   * attempt and retried after its backoff, here or by another central) and waits for them.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimeout(this.timer);
    await this.running;
    for (const req of this.requests) req.destroy(new Error('central stopping'));
    await Promise.allSettled([...this.inflight]);
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((err) => this.options.logger.error({ err }, 'webhook pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        } else void this.arm();
      });
  }

  private async arm(): Promise<void> {
    if (this.stopped) return;
    const { clock, settings, db } = this.options;
    let delay = settings.pollMs;
    try {
      const due = await nextDueAt(db);
      if (due) delay = Math.min(delay, Math.max(1, due.getTime() - clock.now()));
    } catch (err) {
      this.options.logger.warn({ err }, 'webhook queue not readable');
    }
    if (this.stopped || this.running) return;
    clock.clearTimeout(this.timer);
    this.timer = clock.setTimeout(() => this.kick(), delay);
    this.timer.unref();
  }

  /** Claims what is due, as far as there are free slots, and starts those attempts. */
  private async pass(): Promise<void> {
    const { db, clock, settings, logger } = this.options;
    for (;;) {
      const room = MAX_IN_FLIGHT - this.inflight.size;
      if (room <= 0 || this.stopped) return;
      const now = clock.now();
      const due = await claimDue(
        db,
        new Date(now),
        new Date(now + settings.timeoutMs + LEASE_MARGIN_MS),
        room,
      );
      if (due.length === 0) return;
      for (const d of due) {
        const run: Promise<void> = this.attempt(d)
          .catch((err) => logger.error({ err, deliveryId: d.id }, 'webhook attempt not recorded'))
          .finally(() => {
            this.inflight.delete(run);
            this.kick();
          });
        this.inflight.add(run);
      }
    }
  }

  private async attempt(d: DueDelivery): Promise<void> {
    const { db, clock, settings, logger } = this.options;
    const attempt = d.attempts + 1;
    const outcome = await this.send(d, attempt);
    const at = clock.now();
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const last = outcome.refused === true || attempt >= settings.maxAttempts;
    const state = ok ? 'delivered' : last ? 'failed' : 'pending';
    await recordAttempt(
      db,
      { id: d.id, attempt },
      {
        at: new Date(at),
        status: outcome.status,
        error: outcome.error,
        state,
        nextAttemptAt:
          state === 'pending' ? new Date(at + backoffDelay(attempt, settings.backoff)) : null,
      },
    );
    if (!ok)
      logger.warn(
        { deliveryId: d.id, attempt, status: outcome.status, error: outcome.error, state },
        'webhook delivery attempt failed',
      );
  }

  private send(d: DueDelivery, attempt: number): Promise<Outcome> {
    const { clock, settings } = this.options;
    return new Promise<Outcome>((resolve) => {
      let url: URL;
      try {
        url = new URL(d.url);
      } catch {
        resolve({ status: null, error: 'not a URL', refused: true });
        return;
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!settings.allowLoopback && isIP(host) && isRefusedAddress(host)) {
        resolve({ status: null, error: 'target address refused', refused: true });
        return;
      }
      let settled = false;
      const done = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        this.requests.delete(req);
        resolve(o);
      };
      const signature = signBody(d.secret, d.body, clock.now() / 1000);
      const request = url.protocol === 'https:' ? https.request : http.request;
      const req = request(url, {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(d.body),
          'user-agent': 'GridLink-Webhook/1',
          [SIGNATURE_HEADER]: signature,
          'x-gridlink-event': d.event,
          'x-gridlink-delivery': `${d.id}`,
          'x-gridlink-attempt': `${attempt}`,
        },
        lookup: settings.allowLoopback ? undefined : checkedLookup,
      });
      this.requests.add(req);
      const timer = clock.setTimeout(() => {
        req.destroy(new Error(`timed out after ${settings.timeoutMs} ms`));
      }, settings.timeoutMs);
      req.on('error', (err: Error & { code?: string }) =>
        done({
          status: null,
          error: err.message,
          refused: err.code === 'ERR_WEBHOOK_TARGET_REFUSED',
        }),
      );
      req.on('response', (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_ANSWER_BYTES) res.destroy();
        });
        res.on('close', () => done({ status: res.statusCode ?? null, error: null }));
        res.on('error', () => done({ status: res.statusCode ?? null, error: null }));
      });
      req.end(d.body);
    });
  }
}

/** dns.lookup that refuses loopback and link-local answers (the address actually connected to). */
function checkedLookup(
  hostname: string,
  options: object,
  callback: (
    err: NodeJS.ErrnoException | null,
    address: string | LookupAddress[],
    family?: number,
  ) => void,
): void {
  dnsLookup(hostname, { ...options }, (err, address, family) => {
    if (err) {
      callback(err, '', 0);
      return;
    }
    const list: LookupAddress[] = Array.isArray(address)
      ? address
      : [{ address: address as string, family: family as number }];
    if (list.some((a) => isRefusedAddress(a.address))) {
      const refused: NodeJS.ErrnoException = new Error(
        `target address refused: ${hostname} resolves to a loopback or link-local address`,
      );
      refused.code = 'ERR_WEBHOOK_TARGET_REFUSED';
      callback(refused, '', 0);
      return;
    }
    callback(null, address, family);
  });
}
