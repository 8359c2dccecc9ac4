import { describe, expect, it } from 'vitest';
import { formatTotals } from '../reconcile/index.js';
import { poisonReadings } from '../soak/scenarios.js';

/**
 * Issue 14: invalid readings in an edge's log (past the edge's own check) reach the central
 * among valid ones while it restarts mid-stream. Each is set aside exactly once; the stream never
 * stops; nothing is lost or duplicated.
 */
describe('poison readings in the edge log', () => {
  for (const store of ['pglite', 'postgres'] as const)
    it(`${store}: quarantined = poisoned, every other reading stored once, the stream drains`, async () => {
      const { report, figures } = await poisonReadings({
        seed: 14,
        store,
        readings: 6_000,
        rate: 0.02,
        restarts: 2,
      });
      const t = report.totals;
      console.info(`poison ${store} ${JSON.stringify(figures)}: ${formatTotals(report)}`);
      expect(figures.poisoned).toBeGreaterThan(50);
      expect(t, JSON.stringify(report.examples)).toMatchObject({
        quarantined: figures.poisoned,
        lost: 0,
        duplicated: 0,
        phantom: 0,
        pending: 0,
        countedDrops: 0,
      });
      expect(t.stored + t.quarantined).toBe(t.committed);
    }, 180_000);
});
