/**
 * `npm run soak` — the store-and-forward fault scripts of deploy/test, run longer: rounds of
 * edge kills, central kills (PostgreSQL and PGlite), broker restarts with an outage backlog, and
 * log overflow, until the time budget is spent. Prints the checker's totals after every scenario
 * and the running sums; exits 1 at the first loss or duplicate. Not part of CI.
 *
 *   npm run soak -- [--minutes 10] [--seed 1] [--edge-kills 100] [--central-kills 40] [--rounds N]
 */
import { parseArgs } from 'node:util';
import { formatTotals, type ReconcileTotals } from '../reconcile/index.js';
import {
  centralKills,
  edgeKills,
  logFull,
  outageBacklog,
  type ScenarioResult,
} from './scenarios.js';

const HELP = `npm run soak -- [options]

  --minutes N        time budget; no new scenario starts after it (default 10)
  --seed N           base seed; round r uses seed + r (default 1)
  --edge-kills N     edge SIGKILLs per edge-kill scenario (default 100)
  --central-kills N  central crashes-before-ack per central-kill scenario (default 40)
  --backlog N        readings committed during each outage (default 100000)
  --rounds N         stop after N rounds of all scenarios (default: only the time budget)
  -h, --help`;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    'edge-kills': { type: 'string', default: '100' },
    'central-kills': { type: 'string', default: '40' },
    backlog: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '0' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const deadline = Date.now() + Number(values.minutes) * 60_000;
const seed = Number(values.seed);
const say = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

const sums = { committed: 0, stored: 0, lost: 0, duplicated: 0, countedDrops: 0, phantom: 0 };
const faults = { edgeKills: 0, centralKills: 0, lostCommits: 0, brokerRestarts: 0, outages: 0 };
const add = (t: ReconcileTotals) => {
  for (const k of Object.keys(sums) as Array<keyof typeof sums>) sums[k] += t[k];
};

const scenarios: Array<(round: number) => Promise<ScenarioResult>> = [
  (r) => edgeKills({ kills: Number(values['edge-kills']), seed: seed + r, progress: say }),
  (r) =>
    centralKills({
      kills: Number(values['central-kills']),
      seed: seed + r,
      store: 'postgres',
      progress: say,
    }),
  (r) =>
    centralKills({
      kills: Number(values['central-kills']),
      seed: seed + r,
      store: 'pglite',
      progress: say,
    }),
  (r) =>
    outageBacklog({ seed: seed + r, restarts: 10, backlog: Number(values.backlog), progress: say }),
  (r) =>
    logFull({
      seed: seed + r,
      store: r % 2 ? 'pglite' : 'postgres',
      maxBytes: 1024 * 1024,
      outageReadings: 30_000,
      progress: say,
    }),
];

say(`soak: ${values.minutes} min, seed ${seed}`);
let round = 0;
let failed = false;
const rounds = Number(values.rounds) || Number.POSITIVE_INFINITY;
outer: while (Date.now() < deadline && round < rounds) {
  for (const run of scenarios) {
    if (Date.now() >= deadline) break outer;
    const { name, report, figures } = await run(round);
    add(report.totals);
    faults.edgeKills += name === 'edge-kills' ? (figures.kills ?? 0) : 0;
    faults.centralKills += name.startsWith('central-kills') ? (figures.kills ?? 0) : 0;
    faults.lostCommits += figures.lostCommits ?? 0;
    faults.brokerRestarts += figures.restarts ?? 0;
    faults.outages += name === 'outage-backlog' || name.startsWith('log-full') ? 1 : 0;
    say(`${name} round ${round} ${JSON.stringify(figures)}: ${formatTotals(report)}`);
    const t = report.totals;
    if (t.lost || t.duplicated || t.phantom || t.pending || figures.lostCommits) {
      say(`FAILED: ${JSON.stringify(report.examples)}`);
      failed = true;
      break outer;
    }
  }
  round++;
}
say(`soak totals after ${round} round(s): ${JSON.stringify(faults)}`);
say(
  `committed ${sums.committed}, stored ${sums.stored}, lost ${sums.lost}, duplicated ${sums.duplicated}, countedDrops ${sums.countedDrops}, phantom ${sums.phantom}`,
);
process.exit(failed ? 1 : 0);
