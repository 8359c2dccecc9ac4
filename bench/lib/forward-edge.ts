/**
 * Child process of bench/forward.ts: the edge's store-and-forward half (LevelDB log, mqtt.js,
 * Uplink with the shipped defaults) fed by a synthetic producer.
 *  - sustained: connect, then append at `offeredPerS` (paced, as polls make them) while the
 *    uplink forwards; done when the central acknowledged reading `count`. The load goes on until
 *    then, so the last measured readings travel under the same load as the first (and no
 *    partial batch waits for its timer because the producer stopped).
 *  - burst: `count` readings appended back to back, as fast as the log takes them; done when
 *    the last is acknowledged.
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
  benchNewReading,
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
  const batch = Array.from({ length: n }, () => benchNewReading(++seq));
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
const cpu0 = process.cpuUsage();
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
  // The edge's shipped defaults.
  batch: {
    maxReadings: job.maxReadings ?? shipped.maxReadings,
    maxBytes: job.maxReadings ? 4 * 1024 * 1024 : shipped.maxBytes,
    maxDelayMs: shipped.maxDelayMs,
  },
  window: job.window ?? shipped.window,
  resendAfterMs: shipped.resendAfterMs,
});
// The moment the central acknowledged reading `count` (the producer may have gone past it).
let ackedMs: number | undefined;
// The first ack at or past a fifth of `count`, and the last one: the rate between them is the
// steady-state ack rate, without the pipeline's fill at the start or a backlog's drain-out at the end.
let warm: { upTo: number; ms: number } | undefined;
let final: { upTo: number; ms: number } | undefined;
const countAcked = new Promise<void>((resolve) => {
  const onAck = ({ upTo }: { upTo: number }) => {
    if (warm === undefined && upTo >= job.count / 5) warm = { upTo, ms: performance.now() - t0 };
    if (upTo < job.count) return;
    ackedMs = performance.now() - t0;
    final = { upTo, ms: ackedMs };
    uplink.off('ack', onAck);
    resolve();
  };
  uplink.on('ack', onAck);
});
uplink.start();
let appendedMs = 0;
if (job.mode === 'sustained') {
  // One append every `every` ms, as polls would make them (catching up at once when behind).
  const every = (job.perAppend / (job.offeredPerS ?? 1)) * 1000;
  for (let i = 0; ackedMs === undefined; i++) {
    const wait = t0 + i * every - performance.now();
    if (wait > 1) await Promise.race([sleep(wait), countAcked]);
    if (ackedMs !== undefined) break;
    await appendSome(job.perAppend);
    uplink.notify();
    if (appendedMs === 0 && seq >= job.count) appendedMs = performance.now() - t0;
  }
} else if (job.mode === 'burst') {
  // Back to back, yielding to the uplink between appends.
  for (let n = 0; n < job.count; n += job.perAppend) {
    await appendSome(job.perAppend);
    uplink.notify();
    await new Promise<void>((r) => setImmediate(r));
  }
  appendedMs = performance.now() - t0;
}
await countAcked;
const ms = ackedMs ?? performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
clearInterval(sampler);
samples.push(mb());
send({
  type: 'done',
  ms,
  appendedMs,
  cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  lastSeq: log.stats().lastSeq,
  rssPeakMB: Math.max(...samples),
  rssMeanMB: Math.round((samples.reduce((a, b) => a + b, 0) / samples.length) * 10) / 10,
  ...(warm && final && final.upTo > warm.upTo
    ? { steady: { readings: final.upTo - warm.upTo, ms: final.ms - warm.ms } }
    : {}),
});
uplink.stop();
await client.endAsync();
await log.close();
process.disconnect?.();
