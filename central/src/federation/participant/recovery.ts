import { randomUUID } from 'node:crypto';
import type { ClockAndTimers, TimerHandle } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../../storage/index.js';
import type { PeerConfig } from '../config.js';
import { CORRELATION_ID_HEADER, REQUEST_ID_HEADER, transactionView } from '../wire.js';
import type { BranchKey } from './fence-store.js';
import type { FederationParticipant } from './participant.js';

export interface RecoveryOptions {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  participant: FederationParticipant;
  /** Configured peers: where each coordinator is and the token it issued to us. */
  peers: readonly PeerConfig[];
  /** A call to a coordinator gives up after this (`federation.callTimeoutMs`). */
  callTimeoutMs: number;
  /** How often tried branches are looked at. */
  periodMs: number;
  /** A tried branch whose hold ends within this is asked about. */
  leadMs: number;
  logger: Logger;
  /** The HTTP client (default the global fetch): a port for fault tests. */
  fetch?: typeof fetch;
}

export interface RecoveryPass {
  /** Transactions whose coordinator was asked. */
  asked: number;
  confirmed: number;
  canceled: number;
  /** No answer, an answer that says nothing yet (`trying`), or a call that failed. */
  left: number;
}

const CONFIRM = new Set(['confirming', 'confirmed']);
const CANCEL = new Set(['canceling', 'canceled', 'compensating', 'failed']);

/**
 * The participant asks before a hold lapses (docs/FEDERATION.md; Atomikos' TCC for REST): for
 * each `tried` branch whose hold ends within `leadMs`, ask its coordinator
 * `GET /api/v1/federation/transactions/{txId}` with the token it issued to us, and confirm or
 * cancel by itself on the decision (404: the coordinator never logged it → cancel). No answer or
 * no decision yet: nothing is done and the hold expires by itself. Both are idempotent with the
 * coordinator's own phase two, so a race between them is harmless.
 */
export class ParticipantRecovery {
  readonly #o: RecoveryOptions;
  #timer: TimerHandle | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: RecoveryOptions) {
    this.#o = options;
  }

  /** Runs a pass every `periodMs`, one at a time (the next armed when the last is done). */
  start(): void {
    if (this.#closed || this.#timer) return;
    const arm = () => {
      if (this.#closed) return;
      this.#timer = this.#o.clock.setTimeout(() => {
        this.#running = this.runOnce()
          .catch((err) => this.#o.logger.warn({ err }, 'federation recovery pass failed'))
          .finally(arm);
      }, this.#o.periodMs);
      this.#timer.unref();
    };
    arm();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#o.clock.clearTimeout(this.#timer);
    await this.#running;
  }

  /** One pass over the tried branches about to lapse. */
  async runOnce(): Promise<RecoveryPass> {
    const pass: RecoveryPass = { asked: 0, confirmed: 0, canceled: 0, left: 0 };
    const peers = new Map(this.#o.peers.map((p) => [p.name, p]));
    if (peers.size === 0) return pass;
    const now = this.#o.clock.now();
    const { rows } = await sql<{ coordinator: string; tx_id: string; branch_id: string }>`
      SELECT coordinator, tx_id, branch_id FROM fed_branches
      WHERE state = 'tried'
        AND hold_expires_at > ${new Date(now).toISOString()}::timestamptz
        AND hold_expires_at <= ${new Date(now + this.#o.leadMs).toISOString()}::timestamptz
        AND coordinator IN (${sql.join([...peers.keys()])})
      ORDER BY hold_expires_at LIMIT 200`.execute(this.#o.db);
    const byTx = new Map<string, BranchKey[]>();
    for (const r of rows) {
      const k = `${r.coordinator}\n${r.tx_id}`;
      const list = byTx.get(k) ?? [];
      list.push({ coordinator: r.coordinator, txId: r.tx_id, branchId: r.branch_id });
      byTx.set(k, list);
    }
    for (const keys of byTx.values()) {
      const first = keys[0] as BranchKey;
      pass.asked++;
      const decision = await this.#ask(peers.get(first.coordinator) as PeerConfig, first.txId);
      for (const key of keys) {
        try {
          if (decision === 'confirm') {
            await this.#o.participant.confirm(key);
            pass.confirmed++;
          } else if (decision === 'cancel') {
            await this.#o.participant.cancel(key);
            pass.canceled++;
          } else pass.left++;
        } catch (err) {
          pass.left++;
          this.#o.logger.warn(
            { err, coordinator: key.coordinator, txId: key.txId, branchId: key.branchId },
            'federation recovery: acting on the decision failed',
          );
        }
      }
    }
    return pass;
  }

  /** The coordinator's decision for `txId`: confirm, cancel, or none (undecided, unreachable). */
  async #ask(peer: PeerConfig, txId: string): Promise<'confirm' | 'cancel' | null> {
    const requestId = randomUUID();
    const log = this.#o.logger.child({ peer: peer.name, txId, requestId });
    const abort = new AbortController();
    const timer = this.#o.clock.setTimeout(() => abort.abort(), this.#o.callTimeoutMs);
    try {
      const res = await (this.#o.fetch ?? fetch)(
        new URL(`api/v1/federation/transactions/${txId}`, withSlash(peer.url)),
        {
          headers: {
            authorization: `Bearer ${peer.token}`,
            [REQUEST_ID_HEADER]: requestId,
            [CORRELATION_ID_HEADER]: txId,
          },
          signal: abort.signal,
        },
      );
      const body: unknown = await res.json().catch(() => undefined);
      if (res.status === 404) {
        log.info('federation recovery: the coordinator has no such transaction; canceling');
        return 'cancel';
      }
      const view = res.ok ? transactionView.safeParse(body) : undefined;
      if (!view?.success) {
        log.warn({ status: res.status }, 'federation recovery: no usable answer');
        return null;
      }
      const state = view.data.state;
      log.info({ state }, 'federation recovery: asked the coordinator');
      return CONFIRM.has(state) ? 'confirm' : CANCEL.has(state) ? 'cancel' : null;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'federation recovery: coordinator unreachable');
      return null;
    } finally {
      this.#o.clock.clearTimeout(timer);
    }
  }
}

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
