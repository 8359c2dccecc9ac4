/**
 * Child process of bench/forward.ts: the edge's store-and-forward half (LevelDB log, mqtt.js,
 * Uplink with the shipped defaults) fed by a synthetic producer.
 *  - sustained: connect, then append `count` readings at `offeredPerS` (paced, as polls make
 *    them) while the uplink forwards; done when the central acknowledged the last one.
 *  - burst: the same with the appends back to back, as fast as the log takes them.
 *  - backlog: append `count` readings offline, report `built`, wait for `go`, connect, and time
 *    the drain; RSS is sampled every 50 ms meanwhile.
 */
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openReadingLog, Uplink } from '@gridlink/edge';
import mqtt from 'mqtt';
import { pino } from 'pino';
import {
  benchReading,
  type ForwardEdgeJob,
  type ForwardEdgeMessage,
  SHIPPED_UPLINK,
} from './forward-readings.js';

const job = JSON.parse(process.argv[2] ?? '{}') as ForwardEdgeJob;
const send = (m: ForwardEdgeMessage) => process.send?.(m);
const mb = () => Math.round((process.memoryUsage.rss() / 1024 / 1024) * 10) / 10;

const shipped = SHIPPED_UPLINK;

const log = await openReadingLog({ dir: join(job.dir, 'log'), sync: false });
let seq = log.stats().lastSeq;
const appendSome = async (n: number) => {
  const batch = Array.from({ length: n }, () => {
    const { seq: _s, ...r } = benchReading(++seq);
    return r;
  });
  await log.append(batch);
};

if (job.mode === 'backlog') {
  for (let n = 0; n < job.count; n += job.perAppend) await appendSome(job.perAppend);
  send({ type: 'built', lastSeq: log.stats().lastSeq, rssMB: mb() });
  await once(process, 'message');
}

const samples: number[] = [];
const sampler = setInterval(() => samples.push(mb()), 50);
const t0 = performance.now();
const client = mqtt.connect(job.mqttUrl, {
  username: job.edgeId,
  password: job.secret,
  clientId: `edge-${job.edgeId}`,
  clean: true,
});
client.on('error', () => undefined);
const uplink = new Uplink({
  edgeId: job.edgeId,
  log,
  mqtt: client,
  logger: pino({ level: 'silent' }),
  // The edge's shipped defaults, except a short partial-batch delay.
  batch: {
    maxReadings: job.maxReadings ?? shipped.maxReadings,
    maxBytes: job.maxReadings ? 4 * 1024 * 1024 : shipped.maxBytes,
    maxDelayMs: 20,
  },
  window: job.window ?? shipped.window,
  resendAfterMs: shipped.resendAfterMs,
});
uplink.start();
if (job.mode !== 'backlog') {
  // sustained: one append every `every` ms, as polls would make them (catching up at once when
  // behind); burst: back to back, yielding to the uplink between appends.
  const every = job.mode === 'sustained' ? (job.perAppend / (job.offeredPerS ?? 1)) * 1000 : 0;
  for (let n = 0, i = 0; n < job.count; n += job.perAppend, i++) {
    const wait = t0 + i * every - performance.now();
    if (wait > 1) await sleep(wait);
    await appendSome(job.perAppend);
    uplink.notify();
    if (every === 0) await new Promise<void>((r) => setImmediate(r));
  }
}
const appendedMs = performance.now() - t0;
const target = log.stats().lastSeq;
while (uplink.stats().lastAcked < target) await once(uplink, 'ack');
const ms = performance.now() - t0;
clearInterval(sampler);
samples.push(mb());
send({
  type: 'done',
  ms,
  appendedMs,
  lastSeq: target,
  rssPeakMB: Math.max(...samples),
  rssMeanMB: Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 10) / 10,
});
uplink.stop();
await client.endAsync();
await log.close();
process.disconnect?.();
