import { randomUUID } from 'node:crypto';
import { type ClockAndTimers, type ErrorCode, errorCatalog, GridlinkError } from '@gridlink/shared';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { PeerConfig } from '../config.js';
import {
  type BranchView,
  branchView,
  type CancelRequest,
  type Catalog,
  CORRELATION_ID_HEADER,
  catalog,
  REQUEST_ID_HEADER,
  type TryRequest,
} from '../wire.js';

export interface PeerClientOptions {
  peers: readonly PeerConfig[];
  /** Any call gives up after this (federation.callTimeoutMs); a try may ask for less. */
  callTimeoutMs: number;
  /** The time-outs run on this clock (a test's fake clock moves them too). */
  clock: ClockAndTimers;
  logger: Logger;
  /** Default the global fetch. */
  fetch?: typeof fetch;
}

/**
 * The coordinator's HTTP client of its peers' participant routes (docs/FEDERATION.md, "The
 * wire"): Bearer = the token the peer issued to us, a new X-Request-ID per call, the
 * transaction id as X-Correlation-ID. What cannot be an answer (refused connection, time-out,
 * 5xx, a body that is not the contract's) is GL_FED_PEER_UNREACHABLE, which the coordinator
 * retries; a 4xx is the participant's answer and keeps its code (GL_EV_SLOT_TAKEN,
 * GL_FED_HOLD_EXPIRED, …).
 */
export class PeerClient {
  readonly #peers: ReadonlyMap<string, PeerConfig>;
  readonly #o: PeerClientOptions;
  readonly #fetch: typeof fetch;

  constructor(options: PeerClientOptions) {
    this.#o = options;
    this.#peers = new Map(options.peers.map((p) => [p.name, p]));
    this.#fetch = options.fetch ?? fetch;
  }

  /** Whether `name` is a configured peer. */
  has(name: string): boolean {
    return this.#peers.has(name);
  }

  get names(): string[] {
    return [...this.#peers.keys()];
  }

  try(
    peer: string,
    txId: string,
    branchId: string,
    body: TryRequest,
    timeoutMs?: number,
  ): Promise<BranchView> {
    return this.#call(peer, 'PUT', this.#branch(txId, branchId), txId, branchView, body, timeoutMs);
  }

  confirm(peer: string, txId: string, branchId: string): Promise<BranchView> {
    return this.#call(
      peer,
      'POST',
      `${this.#branch(txId, branchId)}/confirm`,
      txId,
      branchView,
      {},
    );
  }

  cancel(peer: string, txId: string, branchId: string, body: CancelRequest): Promise<BranchView> {
    return this.#call(
      peer,
      'POST',
      `${this.#branch(txId, branchId)}/cancel`,
      txId,
      branchView,
      body,
    );
  }

  get(peer: string, txId: string, branchId: string): Promise<BranchView> {
    return this.#call(peer, 'GET', this.#branch(txId, branchId), txId, branchView);
  }

  catalog(peer: string): Promise<Catalog> {
    return this.#call(peer, 'GET', '/api/v1/federation/catalog', null, catalog);
  }

  #branch(txId: string, branchId: string): string {
    return `/api/v1/federation/transactions/${encodeURIComponent(txId)}/branches/${encodeURIComponent(branchId)}`;
  }

  async #call<T>(
    peerName: string,
    method: string,
    path: string,
    txId: string | null,
    schema: z.ZodType<T>,
    body?: unknown,
    timeoutMs = this.#o.callTimeoutMs,
  ): Promise<T> {
    const peer = this.#peers.get(peerName);
    if (!peer)
      throw new GridlinkError('GL_FED_UNKNOWN_PEER', `${peerName} is not a configured peer`, {
        peer: peerName,
      });
    const requestId = randomUUID();
    const url = new URL(path, peer.url).toString();
    const unreachable = (why: string, extra: Record<string, unknown> = {}) =>
      new GridlinkError('GL_FED_PEER_UNREACHABLE', `${peerName}: ${method} ${path}: ${why}`, {
        peer: peerName,
        requestId,
        ...extra,
      });
    const abort = new AbortController();
    const timer = this.#o.clock.setTimeout(
      () => abort.abort(new Error(`no answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
    const log = this.#o.logger.child({ peer: peerName, requestId, correlationId: txId });
    try {
      let res: Response;
      let text: string;
      try {
        res = await this.#fetch(url, {
          method,
          signal: abort.signal,
          headers: {
            authorization: `Bearer ${peer.token}`,
            [REQUEST_ID_HEADER]: requestId,
            ...(txId ? { [CORRELATION_ID_HEADER]: txId } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        text = await res.text();
      } catch (err) {
        const why = abort.signal.aborted
          ? String((abort.signal.reason as Error)?.message ?? 'timed out')
          : errText(err);
        log.warn({ method, path, why }, 'peer call failed');
        throw unreachable(why);
      }
      log.debug({ method, path, status: res.status }, 'peer answered');
      if (res.status >= 500) throw unreachable(`answered ${res.status}`, { status: res.status });
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        throw unreachable(`answered ${res.status} with a body that is not JSON`, {
          status: res.status,
        });
      }
      if (res.status >= 400) throw answerError(peerName, res.status, json);
      const parsed = schema.safeParse(json);
      if (!parsed.success)
        throw unreachable(`answered ${res.status} with a body outside the contract`, {
          status: res.status,
          issues: parsed.error.issues.slice(0, 5),
        });
      return parsed.data;
    } finally {
      this.#o.clock.clearTimeout(timer);
    }
  }
}

/** A peer's 4xx answer as the GridlinkError it carries (its code when ours, else by status). */
function answerError(peer: string, status: number, json: unknown): GridlinkError {
  const e = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } })?.error;
  const known = typeof e?.code === 'string' && e.code in errorCatalog;
  const code: ErrorCode = known
    ? (e?.code as ErrorCode)
    : status === 404
      ? 'GL_NOT_FOUND'
      : status === 401
        ? 'GL_UNAUTHORIZED'
        : status === 403
          ? 'GL_FORBIDDEN'
          : status === 409
            ? 'GL_CONFLICT'
            : 'GL_VALIDATION';
  const message = typeof e?.message === 'string' ? e.message : `answered ${status}`;
  const details =
    e?.details && typeof e.details === 'object'
      ? { ...(e.details as object), peer, status }
      : { peer, status };
  return new GridlinkError(code, `${peer}: ${message}`, details);
}

function errText(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
}
