/**
 * `npm run soak` — the store-and-forward fault scripts of deploy/test, run longer: rounds of
 * edge kills, central kills (PostgreSQL and PGlite), broker restarts with an outage backlog, log
 * overflow, and poison readings in the edge's log, until the time budget is spent. Prints the
 * checker's totals after every scenario and the running sums; exits 1 at the first loss or
 * duplicate, or when the readings set aside differ from the poison put in. Not part of CI.
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
  poisonReadings,
  type ScenarioResult,
} from './scenarios.js';

const HELP = `npm run soak -- [options]

  --minutes N        time budget; no new scenario starts after it (default 10)
  --seed N           base seed; round r uses seed + r (default 1)
  --edge-kills N     edge SIGKILLs per edge-kill scenario (default 100)
  --central-kills N  central crashes-before-ack per central-kill scenario (default 40)
  --backlog N        readings committed during each outage (default 100000)
  --poison N         readings committed in each poison scenario (default 20000), 2 % of them
                     invalid (poison.ts), with 5 central restarts
  --only LIST        run only these scenarios (comma-separated: edge-kills, central-kills,
                     outage, log-full, poison); default all
  --rounds N         stop after N rounds of all scenarios (default: only the time budget)
  -h, --help`;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    'edge-kills': { type: 'string', default: '100' },
    'central-kills': { type: 'string', default: '40' },
    backlog: { type: 'string', default: '100000' },
    poison: { type: 'string', default: '20000' },
    only: { type: 'string' },
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

const sums = {
  committed: 0,
  stored: 0,
  quarantined: 0,
  lost: 0,
  duplicated: 0,
  countedDrops: 0,
  phantom: 0,
};
const faults = {
  edgeKills: 0,
  centralKills: 0,
  lostCommits: 0,
  brokerRestarts: 0,
  outages: 0,
  poisoned: 0,
};
const add = (t: ReconcileTotals) => {
  for (const k of Object.keys(sums) as Array<keyof typeof sums>) sums[k] += t[k];
};

const all: Array<[string, (round: number) => Promise<ScenarioResult>]> = [
  [
    'edge-kills',
    (r) => edgeKills({ kills: Number(values['edge-kills']), seed: seed + r, progress: say }),
  ],
  [
    'central-kills',
    (r) =>
      centralKills({
        kills: Number(values['central-kills']),
        seed: seed + r,
        store: 'postgres',
        progress: say,
      }),
  ],
  [
    'central-kills',
    (r) =>
      centralKills({
        kills: Number(values['central-kills']),
        seed: seed + r,
        store: 'pglite',
        progress: say,
      }),
  ],
  [
    'outage',
    (r) =>
      outageBacklog({
        seed: seed + r,
        restarts: 10,
        backlog: Number(values.backlog),
        progress: say,
      }),
  ],
  [
    'log-full',
    (r) =>
      logFull({
        seed: seed + r,
        store: r % 2 ? 'pglite' : 'postgres',
        maxBytes: 1024 * 1024,
        outageReadings: 30_000,
        progress: say,
      }),
  ],
  [
    'poison',
    (r) =>
      poisonReadings({
        seed: seed + r,
        store: r % 2 ? 'postgres' : 'pglite',
        readings: Number(values.poison),
        rate: 0.02,
        restarts: 5,
        progress: say,
      }),
  ],
];
const only = values.only?.split(',').filter(Boolean);
for (const name of only ?? [])
  if (!all.some(([n]) => n === name)) {
    process.stderr.write(`soak: unknown scenario ${name}\n${HELP}\n`);
    process.exit(2);
  }
const scenarios = all.filter(([name]) => !only || only.includes(name)).map(([, run]) => run);

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
    faults.poisoned += figures.poisoned ?? 0;
    say(`${name} round ${round} ${JSON.stringify(figures)}: ${formatTotals(report)}`);
    const t = report.totals;
    // Readings set aside must be exactly the poison put in (none anywhere else).
    const quarantineWrong = t.quarantined !== (figures.poisoned ?? 0);
    if (
      t.lost ||
      t.duplicated ||
      t.phantom ||
      t.pending ||
      figures.lostCommits ||
      quarantineWrong
    ) {
      say(`FAILED: ${JSON.stringify(report.examples)}`);
      failed = true;
      break outer;
    }
  }
  round++;
}
say(`soak totals after ${round} round(s): ${JSON.stringify(faults)}`);
say(
  `committed ${sums.committed}, stored ${sums.stored}, quarantined ${sums.quarantined} (poisoned ${faults.poisoned}), lost ${sums.lost}, duplicated ${sums.duplicated}, countedDrops ${sums.countedDrops}, phantom ${sums.phantom}`,
);
process.exit(failed ? 1 : 0);
