import { expect, it } from 'vitest';
import { formatTotals } from '../../reconcile/index.js';
import { centralKills } from '../../soak/scenarios.js';

/**
 * Issue 4: the real gridlink-central CLI kills itself with SIGKILL after committing a batch
 * and before acknowledging it (deploy/soak/crash-before-ack.ts, seeded), 10 times, and is
 * restarted on the same data directory and ports while the edge keeps producing. One file per
 * store, so the two run side by side.
 */
export function centralKillSuite(store: 'postgres' | 'pglite'): void {
  it('10 kills: nothing lost, nothing duplicated, every interrupted commit kept, the edge drained', async () => {
    const { report, figures } = await centralKills({ kills: 10, seed: 11, store });
    const t = report.totals;
    console.info(`central kills [${store}] ${JSON.stringify(figures)}: ${formatTotals(report)}`);
    expect(figures.kills).toBe(10);
    // The batch each kill interrupted was committed for good (the mark survived SIGKILL).
    expect(figures.lostCommits).toBe(0);
    expect(t.committed).toBeGreaterThan(0);
    expect(t, JSON.stringify(report.examples)).toMatchObject({
      lost: 0,
      duplicated: 0,
      phantom: 0,
      pending: 0,
      countedDrops: 0,
    });
    expect(t.stored).toBe(t.committed);
    // Every kill left a committed batch unacknowledged: the edge had to send it again.
    expect(figures.resends).toBeGreaterThan(0);
  }, 240_000);
}
