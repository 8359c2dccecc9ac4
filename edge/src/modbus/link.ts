import type { ErrorCode } from '@gridlink/shared';
import { GridlinkError } from '@gridlink/shared';
import type { ModbusClient } from './client.js';
import { toModbusError } from './errors.js';
import { type Priority, TransactionQueue } from './transaction-queue.js';

export interface ReadRequest {
  unitId: number;
  fn: 1 | 2 | 3 | 4;
  start: number;
  count: number;
  timeoutMs: number;
}

export interface WriteRequest {
  unitId: number;
  /** 5 write single coil, 6 write single register, 15 write coils, 16 write registers (§6.5-6.12). */
  fn: 5 | 6 | 15 | 16;
  start: number;
  /** Register words as wire bytes (fn 6/16) or coil states (fn 5/15). */
  data: Buffer | boolean[];
  timeoutMs: number;
}

/** One finished transaction, for health counters. */
export interface TransactionEvent {
  link: string;
  unitId: number;
  fn: number;
  ok: boolean;
  code?: ErrorCode;
  latencyMs: number;
}

/** Counters per link (cumulative since start). */
export interface LinkStats {
  link: string;
  kind: 'modbus-tcp' | 'modbus-rtu';
  transactions: number;
  ok: number;
  timeouts: number;
  crcErrors: number;
  exceptions: number;
  badFrames: number;
  latencyMsTotal: number;
  queueDepth: number;
  inFlight: number;
}

/** How a link opens its client: the transport is the only difference between TCP and RTU. */
export interface LinkTransport {
  kind: LinkStats['kind'];
  key: string;
  open(client: ModbusClient): Promise<void>;
  /** Silence after each transaction (Modbus over Serial Line v1.02 §2.5.1.1: 3.5 characters). */
  gapMs: number;
  concurrency: number;
}

export interface ModbusLinkOptions {
  createClient: () => ModbusClient;
  now?: () => number;
  onTransaction?: (event: TransactionEvent) => void;
}

/**
 * One Modbus connection (a TCP device or gateway, or a serial bus) and its transaction queue.
 * Opens lazily, and again before the next transaction after a failure that may leave a late
 * reply on the wire (timeout, bad frame, CRC): the next transaction starts clean.
 */
export class ModbusLink {
  readonly key: string;
  readonly kind: LinkStats['kind'];
  readonly #transport: LinkTransport;
  readonly #queue: TransactionQueue;
  readonly #o: ModbusLinkOptions;
  readonly #now: () => number;
  #client: ModbusClient | undefined;
  #opening: Promise<ModbusClient> | undefined;
  #closed = false;
  readonly #stats: Omit<LinkStats, 'queueDepth' | 'inFlight'>;

  constructor(transport: LinkTransport, options: ModbusLinkOptions) {
    this.#transport = transport;
    this.key = transport.key;
    this.kind = transport.kind;
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    this.#queue = new TransactionQueue({ concurrency: transport.concurrency });
    this.#stats = {
      link: transport.key,
      kind: transport.kind,
      transactions: 0,
      ok: 0,
      timeouts: 0,
      crcErrors: 0,
      exceptions: 0,
      badFrames: 0,
      latencyMsTotal: 0,
    };
  }

  /** Requests this link may have in flight at once (1 on a bus or gateway). */
  get maxInFlight(): number {
    return this.#transport.concurrency;
  }

  get queueDepth(): number {
    return this.#queue.depth;
  }

  stats(): LinkStats {
    return { ...this.#stats, queueDepth: this.#queue.depth, inFlight: this.#queue.active };
  }

  /** Reads a block and returns its registers as wire bytes (big-endian), or coils as 0/1 words. */
  read(req: ReadRequest, priority: Priority = 'poll'): Promise<Buffer> {
    // Described only when something goes wrong: polls are the hot path.
    const what = () => `${this.key} unit ${req.unitId} fn ${req.fn} @${req.start}+${req.count}`;
    const { unitId, fn, start, count } = req;
    // modbus-serial's callback API: one promise per transaction (the queue's), not three.
    return this.#transact(unitId, fn, req.timeoutMs, what, priority, (client, done) => {
      if (fn === 3 || fn === 4) {
        const onReply = (err: unknown, res?: { buffer: Buffer }) => {
          if (err || !res) return done(err ?? new Error('no reply'));
          if (res.buffer.length !== count * 2)
            return done(
              new GridlinkError(
                'GL_MODBUS_BAD_FRAME',
                `${what()}: ${res.buffer.length} bytes for ${count} registers`,
              ),
            );
          done(undefined, res.buffer);
        };
        if (fn === 3) client.writeFC3(unitId, start, count, onReply);
        else client.writeFC4(unitId, start, count, onReply);
        return;
      }
      const onBits = (err: unknown, res?: { data: boolean[] }) => {
        if (err || !res) return done(err ?? new Error('no reply'));
        const out = Buffer.alloc(count * 2);
        for (let i = 0; i < count; i++) out.writeUInt16BE(res.data[i] ? 1 : 0, i * 2);
        done(undefined, out);
      };
      if (fn === 1) client.writeFC1(unitId, start, count, onBits);
      else client.writeFC2(unitId, start, count, onBits);
    });
  }

  /** Writes through the same queue, ahead of polls. */
  write(req: WriteRequest): Promise<void> {
    const what = () => `${this.key} unit ${req.unitId} fn ${req.fn} @${req.start}`;
    return this.#transact(req.unitId, req.fn, req.timeoutMs, what, 'command', (client, done) =>
      this.#writeWith(client, req, what).then(() => done(undefined), done),
    );
  }

  async #writeWith(client: ModbusClient, req: WriteRequest, what: () => string): Promise<void> {
    const { data } = req;
    if (req.fn === 5 || req.fn === 15) {
      const bits = Array.isArray(data) ? data : [...data].map((b) => b !== 0);
      if (req.fn === 5) await client.writeCoil(req.start, bits[0] === true);
      else await client.writeCoils(req.start, bits);
      return;
    }
    if (Array.isArray(data))
      throw new GridlinkError('GL_MODBUS_BAD_FRAME', `${what()}: registers need bytes`);
    if (req.fn === 6) await client.writeRegister(req.start, data.readUInt16BE(0));
    else await client.writeRegisters(req.start, data);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.close();
    this.#drop();
  }

  #transact<T>(
    unitId: number,
    fn: number,
    timeoutMs: number,
    what: () => string,
    priority: Priority,
    body: (client: ModbusClient, done: (err: unknown, value?: T) => void) => void,
  ): Promise<T> {
    // An idle link (the common case for a native TCP device) runs the transaction at once, and
    // gives its slot back as it settles: one promise per transaction.
    const direct = this.#queue.tryAcquire();
    const transaction = () =>
      new Promise<T>((resolve, reject) => {
        const started = this.#now();
        let settled = false;
        const done = (err: unknown, value?: T): void => {
          if (settled) return;
          settled = true;
          let failure: GridlinkError | undefined;
          if (err) {
            failure = err instanceof GridlinkError ? err : toModbusError(err, what());
            this.#count(unitId, fn, started, failure.code);
            // An exception reply is a complete, well-formed frame; anything else may leave
            // bytes (a late reply) on the wire.
            if (failure.code !== 'GL_MODBUS_EXCEPTION' && this.#transport.concurrency === 1)
              this.#drop();
          } else {
            this.#count(unitId, fn, started, undefined);
          }
          const settle = () => {
            if (direct) this.#queue.release();
            if (failure) reject(failure);
            else resolve(value as T);
          };
          // The bus stays ours for the silence after the transaction (RTU t3.5).
          if (this.#transport.gapMs > 0) setTimeout(settle, this.#transport.gapMs);
          else settle();
        };
        const send = (client: ModbusClient) => {
          // setID/setTimeout are read synchronously when the request is framed, so several
          // requests in flight on one TCP client each keep their own unit id and timeout.
          client.setID(unitId);
          client.setTimeout(timeoutMs);
          try {
            body(client, done);
          } catch (err) {
            done(err);
          }
        };
        // An open client is used as is, synchronously. Whatever throws settles (and releases).
        try {
          const open = this.#client;
          if (open?.isOpen && !this.#closed) send(open);
          else this.#connect(what()).then(send, done);
        } catch (err) {
          done(err);
        }
      });
    return direct ? transaction() : this.#queue.run(priority, transaction);
  }

  #count(unitId: number, fn: number, started: number, code: ErrorCode | undefined): void {
    const latencyMs = this.#now() - started;
    const s = this.#stats;
    s.transactions++;
    s.latencyMsTotal += latencyMs;
    if (code === undefined) s.ok++;
    else if (code === 'GL_MODBUS_TIMEOUT') s.timeouts++;
    else if (code === 'GL_MODBUS_CRC') s.crcErrors++;
    else if (code === 'GL_MODBUS_EXCEPTION') s.exceptions++;
    else s.badFrames++;
    this.#o.onTransaction?.({
      link: this.key,
      unitId,
      fn,
      ok: code === undefined,
      ...(code === undefined ? {} : { code }),
      latencyMs,
    });
  }

  async #connect(what: string): Promise<ModbusClient> {
    if (this.#closed) throw new GridlinkError('GL_MODBUS_BAD_FRAME', `${what}: link closed`);
    if (this.#client?.isOpen) return this.#client;
    // With several requests in flight, they all wait for the same opening.
    this.#opening ??= this.#open(what).finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(what: string): Promise<ModbusClient> {
    this.#drop();
    const client = this.#o.createClient();
    try {
      await this.#transport.open(client);
    } catch (err) {
      if (client.isOpen) client.close(() => undefined);
      throw new GridlinkError(
        this.kind === 'modbus-rtu' ? 'GL_SERIAL_PORT' : 'GL_MODBUS_TIMEOUT',
        `${what}: cannot open: ${(err as Error).message ?? err}`,
      );
    }
    if (this.#closed) {
      client.close(() => undefined);
      throw new GridlinkError('GL_MODBUS_BAD_FRAME', `${what}: link closed`);
    }
    this.#client = client;
    return client;
  }

  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    if (client?.isOpen) client.close(() => undefined);
  }
}
