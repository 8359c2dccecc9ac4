import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { openReadingLog, type ReadingLog } from '../log/index.js';
import { type Timers, Uplink, type UplinkOptions } from './index.js';
import { startTestBroker, type TestBroker } from './testing/broker.js';
import { FakeCentral, type FakeCentralOptions } from './testing/fake-central.js';
import { ManualTimers } from './testing/manual-timers.js';

const EDGE = 'edge-1';
const logger = pino({ level: 'silent' });

interface Rig {
  broker: TestBroker;
  central: FakeCentral;
  log: ReadingLog;
  dir: string;
  client: MqttClient;
  uplink: Uplink;
  /** Appends `count` readings (values.n === seq) as one poll cycle and notifies the uplink. */
  poll(count: number): Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function connectEdge(url: string): MqttClient {
  const client = mqtt.connect(url, { clientId: EDGE, reconnectPeriod: 20 });
  client.on('error', () => {}); // refused reconnects while the broker is down
  cleanups.push(() => client.endAsync(true));
  return client;
}

function startUplink(
  log: ReadingLog,
  client: MqttClient,
  overrides: Partial<UplinkOptions> = {},
): Uplink {
  const uplink = new Uplink({
    edgeId: EDGE,
    log,
    mqtt: client,
    logger,
    batch: { maxReadings: 10, maxBytes: 64_000, maxDelayMs: 5 },
    window: 3,
    resendAfterMs: 60_000,
    reconnect: { initialMs: 10, maxMs: 100 },
    ...overrides,
  });
  uplink.start();
  cleanups.push(async () => uplink.stop());
  return uplink;
}

async function rig(
  overrides: Partial<UplinkOptions> = {},
  central: Omit<FakeCentralOptions, 'url'> = {},
  /** What the uplink sees of the log (the rig's own appends go to the log itself). */
  view: (log: ReadingLog) => ReadingLog = (log) => log,
): Promise<Rig> {
  const broker = await startTestBroker();
  cleanups.push(() => broker.close());
  const fake = await FakeCentral.start({ url: broker.url, ...central });
  cleanups.push(() => fake.close());
  const dir = await mkdtemp(join(tmpdir(), 'gl-uplink-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const log = await openReadingLog({ dir, sync: false });
  cleanups.push(() => log.close());
  const client = connectEdge(broker.url);
  const uplink = startUplink(view(log), client, overrides);
  const poll = async (count: number) => {
    const next = log.stats().lastSeq + 1;
    await log.append(
      Array.from({ length: count }, (_, i) => ({
        deviceId: 'meter-1',
        ts: 1_700_000_000_000 + next + i,
        quality: 'good' as const,
        values: { n: next + i },
      })),
    );
    uplink.notify();
  };
  return { broker, central: fake, log, dir, client, uplink, poll };
}

/** Resolves once `done()` holds, checked now and after every ack the uplink processed. */
function until(uplink: Uplink, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const check = () => {
      if (!done()) return;
      uplink.off('ack', check);
      resolve();
    };
    uplink.on('ack', check);
  });
}

function allAcked(log: ReadingLog, upTo: number): () => boolean {
  return () => log.stats().ackedUpTo === upTo && log.stats().pending === 0;
}

function expectExactlyOnce(r: Rig, upTo: number): void {
  expect(r.central.audit(upTo)).toEqual({ twice: [], missing: [] });
  expect(r.central.stored).toHaveLength(upTo);
  expect(r.central.stored.every((reading) => reading.values.n === reading.seq)).toBe(true);
  expect(r.log.stats()).toMatchObject({ ackedUpTo: upTo, pending: 0, bytes: 0 });
}

describe('Uplink', () => {
  it('delivers every reading exactly once, window-limited, and empties the log', async () => {
    const r = await rig();
    let maxInFlight = 0;
    r.uplink.on('sent', () => {
      maxInFlight = Math.max(maxInFlight, r.uplink.stats().inFlight);
    });
    const sizes: number[] = [];
    r.central.on('batch', (batch) => sizes.push(batch.readings.length));
    for (let cycle = 0; cycle < 31; cycle++) await r.poll(7);
    await until(r.uplink, allAcked(r.log, 217));
    expectExactlyOnce(r, 217);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(10);
    expect(r.uplink.stats()).toMatchObject({ inFlight: 0, lastAcked: 217, nextSeq: 218 });
  });

  it('keeps each batch payload within batch.maxBytes', async () => {
    const maxBytes = 256 + 100 + 600; // envelope reserve for 100 readings + about 6 readings
    const r = await rig({ batch: { maxReadings: 100, maxBytes, maxDelayMs: 5 } });
    await r.poll(50);
    await until(r.uplink, allAcked(r.log, 50));
    expectExactlyOnce(r, 50);
    expect(r.central.largestPayload).toBeLessThanOrEqual(maxBytes);
    expect(r.uplink.stats().sentBatches).toBeGreaterThan(5);
  });

  it('compresses batches with gzip when asked and smaller; they still arrive exactly once', async () => {
    const r = await rig({
      batch: { maxReadings: 100, maxBytes: 64 * 1024, maxDelayMs: 5 },
      compression: 'gzip',
    });
    const sent: Array<{ bytes: number; compressed: boolean; count: number }> = [];
    r.uplink.on('sent', (s) =>
      sent.push({ bytes: s.bytes, compressed: s.compressed, count: s.lastSeq - s.firstSeq + 1 }),
    );
    await r.poll(300);
    await until(r.uplink, allAcked(r.log, 300));
    expectExactlyOnce(r, 300);
    // Full batches of 100 readings (~80 bytes of JSON each) leave gzip-compressed, far smaller.
    const full = sent.filter((s) => s.count === 100);
    expect(full.length).toBeGreaterThan(0);
    for (const s of full) {
      expect(s.compressed).toBe(true);
      expect(s.bytes).toBeLessThan(100 * 80 * 0.5);
    }
    // Without the option nothing is compressed.
    const plain = await rig({ batch: { maxReadings: 100, maxBytes: 64 * 1024, maxDelayMs: 5 } });
    const plainSent: boolean[] = [];
    plain.uplink.on('sent', (s) => plainSent.push(s.compressed));
    await plain.poll(100);
    await until(plain.uplink, allAcked(plain.log, 100));
    expect(plainSent.length).toBeGreaterThan(0);
    expect(plainSent.every((c) => !c)).toBe(true);
  });

  it('sends a partial batch only on its timer, also when readings land during the read', async () => {
    const timers = new ManualTimers(); // the partial-batch timer never fires here
    let landed = false;
    let landDuringRead: () => Promise<void> = async () => {};
    let raced: () => void = () => {};
    const racedOnce = new Promise<void>((resolve) => {
      raced = resolve;
    });
    // The first read that finds readings resolves only after 3 more were appended meanwhile.
    const racing = (log: ReadingLog): ReadingLog =>
      new Proxy(log, {
        get(target, prop) {
          if (prop === 'readEncoded')
            return async (...args: Parameters<ReadingLog['readEncoded']>) => {
              const run = await target.readEncoded(...args);
              if (run.count > 0 && !landed) {
                landed = true;
                await landDuringRead();
                raced();
              }
              return run;
            };
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const r = await rig(
      { timers, batch: { maxReadings: 10, maxBytes: 64_000, maxDelayMs: 7 } },
      {},
      racing,
    );
    landDuringRead = async () => {
      const next = r.log.stats().lastSeq + 1;
      await r.log.append(
        [0, 1, 2].map((i) => ({
          deviceId: 'meter-1',
          ts: 1_700_000_000_000 + next + i,
          quality: 'good' as const,
          values: { n: next + i },
        })),
      );
    };
    const first = new Promise<{ firstSeq: number; lastSeq: number }>((resolve) =>
      r.uplink.once('sent', resolve),
    );
    await r.poll(4); // read while 3 more land: 4 of 7, which is not a full batch
    await racedOnce;
    await r.poll(3); // 10: full
    expect(await first).toMatchObject({ firstSeq: 1, lastSeq: 10 });
    await until(r.uplink, allAcked(r.log, 10));
    expectExactlyOnce(r, 10);
  });

  it('resends when an ack is lost, and the central mark dedupes the resend', async () => {
    const timers = new ManualTimers();
    const r = await rig(
      { timers, window: 2, batch: { maxReadings: 5, maxBytes: 64_000, maxDelayMs: 7 } },
      { shouldAck: (_batch, _outcome, n) => n !== 1 }, // withhold the ack of the 2nd batch once
    );
    const secondStored = r.central.waitForBatch((b) => b.firstSeq === 6);
    await r.poll(10);
    await secondStored;
    await until(r.uplink, () => r.log.stats().ackedUpTo === 5);
    expect(r.log.stats().pending).toBe(5);

    expect(timers.fire(60_000)).toBe(1); // acks stopped advancing for resendAfterMs
    await until(r.uplink, allAcked(r.log, 10));
    expectExactlyOnce(r, 10);
    expect(r.central.counts).toMatchObject({ stored: 2, duplicate: 1 });
    expect(r.uplink.stats()).toMatchObject({ resends: 1, goBacks: 1 });
  });

  it('goes back on a gap reply without waiting for the resend timer', async () => {
    const timers = new ManualTimers(); // never fired: only the gap reply can cause the resend
    const r = await rig(
      { timers, window: 4 },
      { onBatch: (_batch, n) => (n === 1 ? 'lose' : 'process') },
    );
    const goBacks: string[] = [];
    r.uplink.on('goBack', ({ from, reason }) => goBacks.push(`${reason}@${from}`));
    await r.poll(40); // four full batches at once; the 2nd never reaches the central
    await until(r.uplink, allAcked(r.log, 40));
    expectExactlyOnce(r, 40);
    expect(goBacks).toEqual(['gap@11']);
    expect(r.central.counts).toMatchObject({ lost: 1, gap: 2 });
    expect(r.uplink.stats().resends).toBe(3);
  });

  it('ignores acks for another epoch and never moves back for a stale ack', async () => {
    const timers = new ManualTimers();
    const r = await rig(
      { timers, batch: { maxReadings: 5, maxBytes: 64_000, maxDelayMs: 7 } },
      { shouldAck: () => false },
    );
    const stored = r.central.waitForBatch((b) => b.lastSeq === 5);
    await r.poll(5);
    await stored;
    await r.central.ack(EDGE, { epoch: 'another-epoch-0001', upTo: 5 });
    await r.central.ack(EDGE, { epoch: r.log.epoch, upTo: 3 });
    await until(r.uplink, () => r.log.stats().ackedUpTo === 3);
    await r.central.ack(EDGE, { epoch: r.log.epoch, upTo: 2 });
    await new Promise<void>((resolve) => r.uplink.once('ack', () => resolve()));
    expect(r.log.stats()).toMatchObject({ ackedUpTo: 3, pending: 2 });
    expect(r.uplink.stats()).toMatchObject({ lastAcked: 3, goBacks: 0 });
  });

  it('survives a broker restart mid-stream: the backlog drains in order, exactly once', async () => {
    // From seq 60 on the central stores but acks nothing until the broker is back, so batches
    // are stored-but-unacknowledged and in flight when it goes down.
    let cut = () => {};
    const cutPoint = new Promise<void>((resolve) => {
      cut = resolve;
    });
    let withholding: boolean | undefined;
    const r = await rig(
      {
        window: 4,
        resendAfterMs: 200, // covers batches published before the central resubscribed
        batch: { maxReadings: 20, maxBytes: 64_000, maxDelayMs: 10 },
      },
      {
        shouldAck: (_batch, outcome) => {
          if (withholding === undefined && outcome.upTo >= 60) {
            withholding = true;
            cut();
          }
          return withholding !== true;
        },
      },
    );
    for (let cycle = 0; cycle < 20; cycle++) await r.poll(10);
    await cutPoint;
    await r.broker.close(); // drops both connections; whatever was in flight is gone

    for (let cycle = 0; cycle < 30; cycle++) await r.poll(10); // backlog while offline
    expect(r.log.stats().pending).toBeGreaterThan(300);
    withholding = false;
    const restarted = await startTestBroker(r.broker.port);
    cleanups.push(() => restarted.close());
    for (let cycle = 0; cycle < 5; cycle++) await r.poll(10); // fresh readings queue behind

    await until(r.uplink, allAcked(r.log, 550));
    expectExactlyOnce(r, 550);
    const seqs = r.central.stored.map((reading) => reading.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Unacknowledged batches were in flight at the cut, so the reconnect went back. (Whether
    // the resends reach the central as duplicates is a race with its resubscribe; either way
    // its acks, some queued by its own client while offline, settle everything.)
    expect(r.uplink.stats().goBacks).toBeGreaterThanOrEqual(1);
  });

  it('after an edge restart resends from its log, and a mark ahead of it is re-acked', async () => {
    const r = await rig(
      { batch: { maxReadings: 5, maxBytes: 64_000, maxDelayMs: 5 } },
      { shouldAck: (_batch, outcome, n) => !(n === 1 && outcome.kind === 'stored') },
    );
    const stored = r.central.waitForBatch((b) => b.lastSeq === 10);
    await r.poll(10);
    await stored;
    await until(r.uplink, () => r.log.stats().ackedUpTo === 5);
    r.uplink.stop();
    await r.client.endAsync(true);
    await r.log.close();

    const log = await openReadingLog({ dir: r.dir, sync: false });
    cleanups.push(() => log.close());
    expect(log.stats()).toMatchObject({ ackedUpTo: 5, pending: 5 });
    const uplink = startUplink(log, connectEdge(r.broker.url), {
      batch: { maxReadings: 5, maxBytes: 64_000, maxDelayMs: 5 },
    });
    await until(uplink, () => log.stats().ackedUpTo === 10);
    expect(r.central.audit(10)).toEqual({ twice: [], missing: [] });
    expect(r.central.counts).toMatchObject({ stored: 2, duplicate: 1 });
  });

  it('rejects a bad configuration with GL_CONFIG_INVALID', async () => {
    const timers: Timers = new ManualTimers();
    const client = mqtt.connect('mqtt://127.0.0.1:1', { manualConnect: true });
    const base = {
      edgeId: EDGE,
      log: {} as ReadingLog,
      mqtt: client,
      logger,
      batch: { maxReadings: 10, maxBytes: 64_000, maxDelayMs: 5 },
      window: 3,
      resendAfterMs: 1_000,
      timers,
    };
    for (const bad of [
      { window: 0 },
      { batch: { maxReadings: 10, maxBytes: 100, maxDelayMs: 5 } },
      { batch: { maxReadings: 0, maxBytes: 64_000, maxDelayMs: 5 } },
      { edgeId: 'a/b' },
      { resendAfterMs: 0 },
    ]) {
      expect(() => new Uplink({ ...base, ...bad })).toThrow(
        expect.objectContaining({ code: 'GL_CONFIG_INVALID' }),
      );
    }
  });
});
