import { EventEmitter, once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP proxy on 127.0.0.1 port 0 between one central and one peer (issue #21's federation
 * fault tests): the calling central's peer URL points here, the proxy forwards to `target`.
 * Rules decide what happens to a request; every request and what became of it is logged, so a
 * test can await "the late try reached the participant and was answered 409".
 *
 * It works at the HTTP level (it reads each request whole) because the faults of the contract are
 * about messages: a try that never arrives, a cancel delivered before its try, a confirm sent
 * twice, a response lost after the participant acted on the request.
 */
export type ProxyAction =
  /** Forward and answer (the default when no rule matches). */
  | 'pass'
  /** Drop the caller's connection at once, forwarding nothing: the peer is unreachable. */
  | 'reset'
  /** Keep the request unanswered and never forward it; `heal()` drops the caller's connection. */
  | 'blackhole'
  /** Keep the request unforwarded until `release()` delivers it (reordering). */
  | 'hold'
  /** Forward twice, one after the other; the caller gets the first answer. */
  | 'duplicate'
  /** Forward, then drop the caller's connection instead of answering: the response is lost. */
  | 'cut'
  /** Wait `delayMs`, then forward. */
  | 'delay';

export interface ProxyRule {
  method?: string;
  /** Matched against the request's path and query. */
  path: RegExp;
  /** A further condition on the request (e.g. its transaction is one of a test's). */
  when?: (request: { method: string; path: string; body: string }) => boolean;
  action: ProxyAction;
  delayMs?: number;
  /** How many requests the rule applies to (default: every one until removed). */
  times?: number;
}

/** One request through the proxy and what became of it. */
export interface Exchange {
  seq: number;
  method: string;
  path: string;
  body: string;
  action: ProxyAction;
  /** Set once the peer answered (a held request gets it on release). */
  status?: number;
  response?: string;
  /** The peer could not be reached (no target, or it refused the connection). */
  error?: string;
  /** Forwarded at the peer (each copy of a duplicate counts). */
  deliveries: number;
  /** The peer's status for each delivery, in order. */
  answers: number[];
}

interface Held {
  exchange: Exchange;
  headers: IncomingHttpHeaders;
  req: IncomingMessage;
  res: ServerResponse;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'host',
  'content-length',
]);

export class FaultProxy {
  readonly #server: Server;
  readonly #events = new EventEmitter();
  readonly #sockets = new Set<Socket>();
  #rules: Array<ProxyRule & { left: number }> = [];
  #held: Held[] = [];
  #blackholed: Held[] = [];
  #target: URL | undefined;
  #seq = 0;
  /** Every request seen, in arrival order. */
  readonly log: Exchange[] = [];
  url = '';

  constructor(readonly name: string) {
    this.#events.setMaxListeners(100);
    this.#server = createServer((req, res) => void this.#handle(req, res));
    this.#server.keepAliveTimeout = 1_000;
    this.#server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(): Promise<this> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Where requests go (a restarted central comes back on another port). */
  setTarget(url: string): void {
    this.#target = new URL(url);
  }

  /** Adds a rule ahead of the others; returns a function that removes it. */
  rule(rule: ProxyRule): () => void {
    const entry = { ...rule, left: rule.times ?? Number.POSITIVE_INFINITY };
    this.#rules.unshift(entry);
    return () => {
      this.#rules = this.#rules.filter((r) => r !== entry);
    };
  }

  /** Unreachable until `heal()`: every request is refused (`reset`) or swallowed (`blackhole`). */
  cutOff(action: 'reset' | 'blackhole' = 'reset'): void {
    this.rule({ path: /./, action });
  }

  /** Removes every rule and drops the blackholed requests' connections. Held ones stay held. */
  heal(): void {
    this.#rules = [];
    for (const h of this.#blackholed.splice(0)) h.req.socket.destroy();
  }

  /** Requests held by a `hold` rule, oldest first. */
  held(): Exchange[] {
    return this.#held.map((h) => h.exchange);
  }

  /**
   * Forwards the held requests that `which` picks (all by default), one after the other in the
   * order given, each answered to its caller if the caller still waits. Resolves with them once
   * the peer answered each.
   */
  async release(which: (e: Exchange) => boolean = () => true): Promise<Exchange[]> {
    const picked = this.#held.filter((h) => which(h.exchange));
    this.#held = this.#held.filter((h) => !picked.includes(h));
    for (const h of picked) await this.#forwardAndAnswer(h, 1);
    return picked.map((h) => h.exchange);
  }

  /** Resolves once a request matching `pred` is held by a `hold` rule. */
  waitForHeld(pred: (e: Exchange) => boolean = () => true): Promise<Exchange> {
    const found = this.#held.find((h) => pred(h.exchange));
    if (found) return Promise.resolve(found.exchange);
    return new Promise((resolve) => {
      const listener = (e: Exchange) => {
        if (!pred(e)) return;
        this.#events.off('held', listener);
        resolve(e);
      };
      this.#events.on('held', listener);
    });
  }

  /** The first logged exchange matching `pred` that is finished (answered, refused or dropped). */
  waitFor(pred: (e: Exchange) => boolean): Promise<Exchange> {
    const done = (e: Exchange) => pred(e) && FaultProxy.finished(e);
    const found = this.log.find(done);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => {
      const listener = (e: Exchange) => {
        if (!done(e)) return;
        this.#events.off('exchange', listener);
        resolve(e);
      };
      this.#events.on('exchange', listener);
    });
  }

  /** Requests matching method and path seen so far. */
  seen(method: string, path: RegExp): Exchange[] {
    return this.log.filter((e) => e.method === method && path.test(e.path));
  }

  async close(): Promise<void> {
    for (const h of [...this.#held.splice(0), ...this.#blackholed.splice(0)])
      h.req.socket.destroy();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  static finished(e: Exchange): boolean {
    return (
      e.status !== undefined ||
      e.error !== undefined ||
      e.action === 'reset' ||
      e.action === 'blackhole'
    );
  }

  #pick(method: string, path: string, body: string): ProxyRule | undefined {
    const rule = this.#rules.find(
      (r) =>
        r.left > 0 &&
        (!r.method || r.method === method) &&
        r.path.test(path) &&
        (!r.when || r.when({ method, path, body })),
    );
    if (rule) rule.left -= 1;
    return rule;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const body = Buffer.concat(chunks).toString('utf8');
    const rule = this.#pick(method, path, body);
    const action = rule?.action ?? 'pass';
    const exchange: Exchange = {
      seq: ++this.#seq,
      method,
      path,
      body,
      action,
      deliveries: 0,
      answers: [],
    };
    this.log.push(exchange);
    const held: Held = { exchange, headers: req.headers, req, res };
    switch (action) {
      case 'reset':
        req.socket.destroy();
        this.#events.emit('exchange', exchange);
        return;
      case 'blackhole':
        this.#blackholed.push(held);
        this.#events.emit('exchange', exchange);
        return;
      case 'hold':
        this.#held.push(held);
        this.#events.emit('held', exchange);
        return;
      case 'delay':
        await new Promise((r) => setTimeout(r, rule?.delayMs ?? 0));
        await this.#forwardAndAnswer(held, 1);
        return;
      case 'duplicate':
        await this.#forwardAndAnswer(held, 2);
        return;
      case 'cut':
        await this.#forwardAndAnswer(held, 1, true);
        return;
      default:
        await this.#forwardAndAnswer(held, 1);
    }
  }

  /** Sends the request `copies` times to the target; answers the caller with the first answer. */
  async #forwardAndAnswer(h: Held, copies: number, cut = false): Promise<void> {
    const { exchange } = h;
    let first: { status: number; headers: IncomingHttpHeaders; body: string } | undefined;
    for (let i = 0; i < copies; i++) {
      try {
        const answer = await this.#forward(exchange, h.headers);
        exchange.deliveries += 1;
        exchange.answers.push(answer.status);
        first ??= answer;
      } catch (err) {
        exchange.error = (err as Error).message;
        break;
      }
    }
    if (first) {
      exchange.status = first.status;
      exchange.response = first.body;
    }
    const callerGone = h.res.destroyed || h.req.socket.destroyed;
    if (cut || !first) h.req.socket.destroy();
    else if (!callerGone) {
      const headers = Object.fromEntries(
        Object.entries(first.headers).filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase())),
      );
      h.res.writeHead(first.status, headers);
      h.res.end(first.body);
    }
    this.#events.emit('exchange', exchange);
  }

  #forward(
    e: Exchange,
    inHeaders: IncomingHttpHeaders,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
    const target = this.#target;
    if (!target) return Promise.reject(new Error(`${this.name}: no target yet`));
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(inHeaders))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers.host = target.host;
    if (e.body.length > 0) headers['content-length'] = String(Buffer.byteLength(e.body));
    return new Promise((resolve, reject) => {
      const out = request(
        {
          host: target.hostname,
          port: target.port,
          method: e.method,
          path: e.path,
          headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      out.on('error', reject);
      out.end(e.body.length > 0 ? e.body : undefined);
    });
  }
}

/** A proxy listening on 127.0.0.1 port 0. */
export function startFaultProxy(name: string): Promise<FaultProxy> {
  return new FaultProxy(name).listen();
}
