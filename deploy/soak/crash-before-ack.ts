/**
 * The store-and-forward fault "the central dies between a commit and its ack", for the fault
 * tests and `npm run soak` only: gridlink-central's own CLI (runCentral) with its broker link
 * decorated. The ingest publishes an ack only after the batch's transaction committed, so a
 * process that SIGKILLs itself when an ack reaches the link dies with the commit made and the ack
 * never sent. Nothing of this is in the production CLI.
 *
 * Usage: crash-before-ack.ts --probability P --seed N -- <gridlink-central options>
 * Each ack kills the process with probability P (seeded draws), after printing
 * `fault: SIGKILL after commit, before ack of EDGE upTo N` on stderr.
 */
import { parseArgs } from 'node:util';
import { type BrokerLink, runCentral } from '@gridlink/central';
import { parseEdgeTopic, seededRandom } from '@gridlink/shared';

const split = process.argv.indexOf('--');
const own = parseArgs({
  args: process.argv.slice(2, split === -1 ? undefined : split),
  options: { probability: { type: 'string' }, seed: { type: 'string', default: '1' } },
  strict: true,
}).values;
const p = Number(own.probability);
if (!(p >= 0 && p <= 1)) {
  process.stderr.write(`crash-before-ack: --probability must be 0..1, got "${own.probability}"\n`);
  process.exit(2);
}
const random = seededRandom(Number(own.seed));

/** Dies, with probability p, when an ack is handed to the link. */
const crashBeforeAck = (link: BrokerLink): BrokerLink => ({
  listen: (deliver) => link.listen(deliver),
  subscribe: (filters) => link.subscribe(filters),
  unsubscribe: () => link.unsubscribe(),
  publish(topic, payload, options) {
    const edge = parseEdgeTopic(topic);
    if (edge?.leaf === 'ack' && random() < p) {
      const { upTo } = JSON.parse(payload) as { upTo: number };
      process.stderr.write(
        `crash-before-ack: fault: SIGKILL after commit, before ack of ${edge.edgeId} upTo ${upTo}\n`,
      );
      process.kill(process.pid, 'SIGKILL');
    }
    return link.publish(topic, payload, options);
  },
});

await runCentral(split === -1 ? [] : process.argv.slice(split + 1), {
  decorate: { brokerLink: crashBeforeAck },
});
