import { type Clock, GridlinkError, type PendingDevice, systemClock } from '@gridlink/shared';
import type { Logger } from 'pino';
import type { DeviceConfig } from '../config/index.js';
import type { Admission, PendingMeter, PendingPort } from '../drivers/types.js';
import type { NewReading, ReadingLog, SideWrites } from '../log/index.js';
import type { PolledReading } from '../poller/index.js';

export interface PendingLimits {
  enabled: boolean;
  maxPending: number;
  maxBufferedPerDevice: number;
}

export interface PendingStoreOptions {
  /** The reading log: pending meters live in its side keyspace (same LevelDB, same batches). */
  log: ReadingLog;
  /** The running config's `provisioning` (read on each use: a remote config may change it). */
  limits: () => PendingLimits;
  /**
   * The reading window's check (a ReadingGate's `admit`): an admitted reading is handed back
   * through `accept`, synchronously, and buffered.
   */
  gate: (reading: PolledReading) => Admission;
  /** Called after buffered readings were moved into the log (the uplink's notify). */
  afterMove: () => void;
  /** Called when a pending meter appears or goes (the agent publishes its status soon). */
  onChange?: () => void;
  logger: Logger;
  clock?: Clock;
}

/**
 * What to move where once `devices` are served (the file's and the provisioned ones): every
 * `provisioned` entry's `pendingKey`, and a pending key the meter of a served device would have
 * been held under even when no entry names it (the meter now goes to that device, and so do the
 * readings it sent while unknown): `udp-meter:{cpf}:{n}` for a device with that CPF and number (a
 * cpf-less device with number n takes every CPF's n that no other device takes),
 * `tcp-json-meter:{n}` for meter id n.
 */
export function bindingsFor(
  devices: readonly DeviceConfig[],
  provisioned: readonly { id: string; pendingKey?: string | undefined }[],
  pendingKeys: readonly string[],
): { id: string; pendingKey: string }[] {
  const out = new Map<string, string>();
  for (const p of provisioned) if (p.pendingKey) out.set(p.pendingKey, p.id);
  const udp = new Map<string, string>();
  const tcp = new Map<string, string>();
  for (const d of devices)
    if (d.driver === 'udp-meter') udp.set(`${d.cpf ?? ''}/${d.meterId}`, d.id);
    else if (d.driver === 'tcp-json-meter') tcp.set(String(d.meterId), d.id);
  for (const key of pendingKeys) {
    if (out.has(key)) continue;
    const [driver, a, b] = key.split(':') as [string, string, string | undefined];
    const id =
      driver === 'udp-meter' && b !== undefined
        ? (udp.get(`${a}/${b}`) ?? udp.get(`/${b}`))
        : driver === 'tcp-json-meter'
          ? tcp.get(a)
          : undefined;
    if (id) out.set(key, id);
  }
  return [...out].map(([pendingKey, id]) => ({ id, pendingKey }));
}

/** Side keys: `p/{key}` a pending meter's record, `q/{key}/{n}` its readings, `c/...` counters. */
const metaKey = (key: string) => `p/${key}`;
const readingPrefix = (key: string) => `q/${key}/`;
const readingKey = (key: string, n: number) =>
  `${readingPrefix(key)}${String(n).padStart(12, '0')}`;
const TCP_COUNTER = 'c/tcp-json-meter/next-id';
/** The reading window is checked under this id (a pending key is no device id). */
const GATE_DEVICE = 'pending';

interface Entry {
  device: PendingDevice;
  /** Index of the next buffered reading's key. */
  next: number;
}

type StoredMeta = Omit<PendingDevice, 'key'> & { next: number };
type StoredReading = Pick<NewReading, 'ts' | 'quality' | 'values'>;

/**
 * Pending devices (docs/PROVISIONING.md, "Edge"): unknown push meters held until the central binds
 * them. Each one's readings, once past the reading window, are kept crash-safe in the reading
 * log's LevelDB (side keys, group-committed like readings), bounded by `maxPending` meters and
 * `maxBufferedPerDevice` readings each; past a bound a reading is refused with GL_PENDING_FULL
 * and counted. When the desired config binds a pending key to a device id, its buffered readings
 * move into the log under that id in ONE atomic batch with the deletion of the pending entry:
 * a crash leaves either both or neither, so they are delivered exactly once.
 */
export class PendingStore implements PendingPort {
  readonly #o: PendingStoreOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;
  #tcpNext = 0;
  /** Side writes not yet committed (one batch per event-loop turn, like the reading sink). */
  #queue: { put: [string, string][]; del: string[] } = { put: [], del: [] };
  #scheduled = false;
  #flushing: Promise<void> = Promise.resolve();
  /** Where the gate's admitted reading goes (set around each `gate` call). */
  #target: Entry | undefined;
  /** Meters refused because `maxPending` were already held. */
  #refusedMeters = 0;
  #moving: Promise<unknown> = Promise.resolve();

  private constructor(o: PendingStoreOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
  }

  /** Opens the store over `log`, loading the pending meters a previous run left. */
  static async open(o: PendingStoreOptions): Promise<PendingStore> {
    if (!o.log.sideEntries || !o.log.sideWrite)
      throw new GridlinkError('GL_INTERNAL', 'the reading log keeps no side keyspace');
    const store = new PendingStore(o);
    for (const [k, v] of await o.log.sideEntries('p/')) {
      const key = k.slice(2);
      const { next, ...rest } = JSON.parse(v) as StoredMeta;
      store.#entries.set(key, { device: { key, ...rest }, next });
    }
    const [counter] = await o.log.sideEntries(TCP_COUNTER);
    if (counter) store.#tcpNext = Number(counter[1]);
    return store;
  }

  get enabled(): boolean {
    return this.#o.limits().enabled;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  /** The status's `pending` list, by key. */
  list(): PendingDevice[] {
    return [...this.#entries.values()]
      .map((e) => ({ ...e.device }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Listener-side refusals (a new meter past `maxPending`). */
  refusedMeters(): number {
    return this.#refusedMeters;
  }

  announce(meter: PendingMeter): void {
    this.#entry(meter);
    this.#flushSoon();
  }

  hold(meter: PendingMeter, reading: Omit<PolledReading, 'deviceId'>): Admission {
    const entry = this.#entry(meter);
    if (entry.device.buffered >= this.#o.limits().maxBufferedPerDevice) {
      entry.device.dropped++;
      this.#putMeta(entry);
      throw new GridlinkError(
        'GL_PENDING_FULL',
        `pending meter ${meter.key} holds its maximum of ${this.#o.limits().maxBufferedPerDevice} readings`,
      );
    }
    this.#target = entry;
    try {
      return this.#o.gate({ ...reading, deviceId: GATE_DEVICE });
    } finally {
      this.#target = undefined;
      this.#putMeta(entry);
    }
  }

  /** The gate's `admit`: buffers the admitted reading for the current meter. */
  readonly accept = (reading: PolledReading): void => {
    const entry = this.#target;
    if (!entry) return;
    const stored: StoredReading = {
      ts: reading.ts,
      quality: reading.quality,
      values: reading.values,
    };
    this.#queue.put.push([readingKey(entry.device.key, entry.next++), JSON.stringify(stored)]);
    entry.device.buffered++;
  };

  async freshTcpId(floor: number): Promise<number> {
    let top = Math.max(this.#tcpNext, floor);
    for (const e of this.#entries.values())
      if (e.device.driver === 'tcp-json-meter') top = Math.max(top, Number(e.device.meterId));
    const id = top + 1;
    this.#tcpNext = id;
    // Durable before the meter hears it: an id is never handed out twice, crash or not.
    this.#queue.put.push([TCP_COUNTER, String(id)]);
    await this.flush();
    return id;
  }

  /** Commits what is queued; resolves once every write so far is in the store. */
  flush(): Promise<void> {
    const writes = this.#queue;
    this.#queue = { put: [], del: [] };
    this.#flushing = this.#flushing.then(async () => {
      if (writes.put.length === 0 && writes.del.length === 0) return;
      try {
        await (this.#o.log.sideWrite as (w: SideWrites) => Promise<void>)(writes);
      } catch (err) {
        this.#o.logger.error(
          { err, lost: writes.put.length },
          'writing pending meters to the store failed',
        );
      }
    });
    return this.#flushing;
  }

  /**
   * Moves the buffered readings of every binding whose `pendingKey` is held into the log under
   * its `id`, and forgets the pending meter; each key in one atomic batch. A failure leaves the key
   * pending (logged); it is tried again on the next apply or start.
   */
  bind(bindings: readonly { id: string; pendingKey?: string | undefined }[]): Promise<void> {
    const run = this.#moving.then(async () => {
      for (const p of bindings) {
        if (!p.pendingKey || !this.#entries.has(p.pendingKey)) continue;
        try {
          const moved = await this.#move(p.pendingKey, p.id);
          this.#o.logger.info(
            { pendingKey: p.pendingKey, deviceId: p.id, readings: moved },
            'pending meter bound',
          );
        } catch (err) {
          this.#o.logger.error(
            { err, pendingKey: p.pendingKey, deviceId: p.id },
            'moving a pending meter into the log failed; it stays pending',
          );
        }
      }
    });
    this.#moving = run.catch(() => undefined);
    return run;
  }

  async #move(key: string, deviceId: string): Promise<number> {
    await this.flush();
    const log = this.#o.log;
    const stored = await (log.sideEntries as (p: string) => Promise<[string, string][]>)(
      readingPrefix(key),
    );
    const readings: NewReading[] = stored.map(([, v]) => ({
      deviceId,
      ...(JSON.parse(v) as StoredReading),
    }));
    // Readings in, pending entry out: one atomic batch (the log's append with side writes).
    await log.append(readings, { del: [...stored.map(([k]) => k), metaKey(key)] });
    this.#entries.delete(key);
    this.#o.onChange?.();
    if (readings.length > 0) this.#o.afterMove();
    return readings.length;
  }

  #entry(meter: PendingMeter): Entry {
    let entry = this.#entries.get(meter.key);
    const now = this.#clock.now();
    if (!entry) {
      if (this.#entries.size >= this.#o.limits().maxPending) {
        this.#refusedMeters++;
        throw new GridlinkError(
          'GL_PENDING_FULL',
          `the edge holds its maximum of ${this.#o.limits().maxPending} pending meters`,
        );
      }
      entry = {
        device: {
          key: meter.key,
          driver: meter.driver,
          ...(meter.cpf === undefined ? {} : { cpf: meter.cpf }),
          meterId: meter.meterId,
          firstSeenAt: now,
          lastSeenAt: now,
          buffered: 0,
          dropped: 0,
        },
        next: 0,
      };
      this.#entries.set(meter.key, entry);
      this.#o.onChange?.();
    }
    entry.device.lastSeenAt = Math.max(entry.device.lastSeenAt, now);
    if (meter.from !== undefined) entry.device.from = meter.from.slice(0, 80);
    this.#putMeta(entry);
    return entry;
  }

  #putMeta(entry: Entry): void {
    const { key, ...rest } = entry.device;
    this.#queue.put.push([metaKey(key), JSON.stringify({ ...rest, next: entry.next })]);
    this.#flushSoon();
  }

  #flushSoon(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.flush();
    });
  }
}
