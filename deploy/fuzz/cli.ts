/**
 * `npm run fuzz` — the fuzz suite of deploy/test/fuzz-*.test.ts at scale: every input GridLink
 * takes from the network, attacked with seeded, replayable cases while a well-behaved party keeps
 * being served. Prints a summary per target; exits 1 if any oracle failed (each failure names
 * its seed and case and the command that replays it alone). Not part of CI.
 *
 *   npm run fuzz -- [--target all|mqtt|telemetry|edge|http] [--seed 1] [--cases N] [--case I]
 */
import { parseArgs } from 'node:util';
import type { Failures } from './tally.js';
import { formatTally, type Tally } from './tally.js';
import { fuzzEdgeListeners } from './targets/edge-listeners.js';
import { fuzzHttpApi } from './targets/http-api.js';
import { fuzzMqttBroker } from './targets/mqtt-broker.js';
import { fuzzTelemetry } from './targets/telemetry.js';

const TARGETS = ['mqtt', 'telemetry', 'edge', 'http'] as const;
type Target = (typeof TARGETS)[number];

/** Cases per target when --cases is not given (for mqtt: packets). */
const DEFAULT_CASES: Record<Target, number> = {
  mqtt: 1_000_000,
  telemetry: 20_000,
  edge: 100_000,
  http: 50_000,
};

const HELP = `npm run fuzz -- [options]

  --target T     all (default), mqtt, telemetry, edge or http
  --seed N       the run's seed (default 1); case I of seed N is always the same input
  --cases N      cases per target (default: mqtt ${DEFAULT_CASES.mqtt.toLocaleString('en')} packets,
                 telemetry ${DEFAULT_CASES.telemetry.toLocaleString('en')} batches per store, edge ${DEFAULT_CASES.edge.toLocaleString('en')} datagrams and
                 connections, http ${DEFAULT_CASES.http.toLocaleString('en')} requests)
  --case I       replay case I alone (with the seed of the failure that named it)
  --store S      telemetry: pglite, postgres or both (default both)
  -h, --help`;

function fail(message: string): never {
  process.stderr.write(`fuzz: ${message}\n${HELP}\n`);
  process.exit(2);
}

function integer(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) fail(`${flag} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    options: {
      target: { type: 'string', default: 'all' },
      seed: { type: 'string', default: '1' },
      cases: { type: 'string' },
      case: { type: 'string' },
      store: { type: 'string', default: 'both' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
}
try {
  values = parse().values;
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const target = values.target as string;
if (target !== 'all' && !TARGETS.includes(target as Target)) fail(`unknown --target ${target}`);
const stores = { both: ['pglite', 'postgres'], pglite: ['pglite'], postgres: ['postgres'] }[
  values.store as string
] as Array<'pglite' | 'postgres'> | undefined;
if (!stores) fail(`--store must be pglite, postgres or both, got "${values.store}"`);
const seed = integer(values.seed, '--seed') as number;
const only = integer(values.case, '--case');
const cases = integer(values.cases, '--cases');
const say = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
const line = (label: string, t: Tally) => say(`  ${label}: ${formatTally(t)}`);

const runs: Array<{ name: string; failures: Failures }> = [];
const selected = target === 'all' ? TARGETS : [target as Target];
for (const t of selected) {
  const n = cases ?? DEFAULT_CASES[t];
  const started = Date.now();
  if (t === 'mqtt') {
    say(`mqtt: ${n.toLocaleString('en')} packets, seed ${seed}`);
    const r = await fuzzMqttBroker({ seed, packets: n, only, progress: say });
    say(
      `mqtt: ${r.packets.written} packets written (${r.packets.confirmed} confirmed handled), ${r.packets.bytes} bytes, ${r.cases} connections, ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    line('profiles', r.profiles);
    line('packet types', r.types);
    line('damage', r.mutations);
    line('CONNACK codes', r.connack);
    line("broker's answers", r.answers);
    line('closed by', r.closedBy);
    line("central's log codes", r.logCodes);
    say(
      `  well-behaved edge: ${r.wellBehaved.committed} readings committed and stored, ${r.wellBehaved.disconnects} disconnects; stored by edge: ${formatTally(r.storedByEdge)}`,
    );
    say(
      `  central RSS: ${mib(r.memory.rssBefore)} before, ${mib(r.memory.rssAfter)} after; exit ${JSON.stringify(r.exit)}`,
    );
    runs.push({ name: 'mqtt', failures: r.failures });
  } else if (t === 'telemetry') {
    for (const store of stores) {
      const began = Date.now();
      say(`telemetry (${store}): ${n.toLocaleString('en')} batches, seed ${seed}`);
      const r = await fuzzTelemetry({ seed, cases: n, only, store, progress: say });
      say(
        `telemetry (${store}): ${r.cases} batches, ${r.storedFuzz} fuzzed readings stored, ${((Date.now() - began) / 1000).toFixed(1)} s`,
      );
      line('classes', r.classes);
      line('JSON mutations', r.mutations);
      line('verdicts', r.verdicts);
      line("central's log codes", r.logCodes);
      say(
        `  well-behaved edge: ${r.wellBehaved.committed} readings committed and stored, ${r.wellBehaved.disconnects} disconnects`,
      );
      runs.push({ name: `telemetry (${store})`, failures: r.failures });
    }
  } else if (t === 'edge') {
    say(`edge listeners: ${n.toLocaleString('en')} cases, seed ${seed}`);
    const r = await fuzzEdgeListeners({ seed, cases: n, only, progress: say });
    say(
      `edge listeners: ${r.udp.datagrams} datagrams, ${r.tcp.connections} TCP connections (${r.tcp.lines} lines), ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    line('UDP classes', r.udp.classes);
    line('UDP answers', r.udp.replies);
    line('TCP line classes', r.tcp.classes);
    line('TCP answers', r.tcp.answers);
    line('readings in the log', r.logged);
    say(
      `  well-behaved meters: ${r.wellBehaved.udp} UDP and ${r.wellBehaved.tcp} TCP readings logged`,
    );
    runs.push({ name: 'edge', failures: r.failures });
  } else {
    say(`http: ${n.toLocaleString('en')} requests, seed ${seed}`);
    const r = await fuzzHttpApi({ seed, cases: n, only, progress: say });
    say(
      `http: ${r.cases} requests over ${r.operations} operations (${r.reached2xx} answered 2xx at least once), ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    line('classes', r.classes);
    line('statuses', r.statuses);
    line('error codes', r.codes);
    say(
      `  well-behaved client: ${r.wellBehavedRequests} rounds; fuzzer's token renewed ${r.tokenRenewals} times`,
    );
    runs.push({ name: 'http', failures: r.failures });
  }
}

let failed = 0;
for (const r of runs) {
  if (r.failures.count === 0) continue;
  failed += r.failures.count;
  process.stdout.write(`\n${r.name}: ${r.failures.count} failures\n${r.failures.format()}\n`);
}
say(
  failed === 0
    ? `fuzz: no failures (seed ${seed}: ${runs.map((r) => r.name).join(', ')})`
    : `fuzz: ${failed} failures (seed ${seed})`,
);
process.exit(failed === 0 ? 0 : 1);

function mib(bytes: number | undefined): string {
  return bytes === undefined ? 'n/a' : `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
