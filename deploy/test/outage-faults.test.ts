import { describe, expect, it } from 'vitest';
import { formatTotals } from '../reconcile/index.js';
import { logFull, outageBacklog } from '../soak/scenarios.js';

/** Issue 4: broker restarts mid-stream, a long outage, and a log that overflows during one. */
describe('broker restarts and a long uplink outage', () => {
  it('3 broker restarts mid-stream, then a backlog of 100,000 readings drains: nothing lost or duplicated', async () => {
    const { report, figures } = await outageBacklog({ seed: 21, restarts: 3, backlog: 100_000 });
    const t = report.totals;
    console.info(`outage ${JSON.stringify(figures)}: ${formatTotals(report)}`);
    expect(figures.backlog).toBeGreaterThanOrEqual(100_000);
    expect(t, JSON.stringify(report.examples)).toMatchObject({
      lost: 0,
      duplicated: 0,
      phantom: 0,
      pending: 0,
      countedDrops: 0,
    });
    expect(t.stored).toBe(t.committed);
  }, 180_000);
});

describe('log capacity exceeded during an outage', () => {
  it('the drop count equals exactly the readings missing at the central; nothing else is missing', async () => {
    const { report, figures } = await logFull({
      seed: 31,
      store: 'pglite',
      maxBytes: 1024 * 1024,
      outageReadings: 20_000,
    });
    const t = report.totals;
    console.info(`log full ${JSON.stringify(figures)}: ${formatTotals(report)}`);
    expect(figures.droppedDuringOutage).toBeGreaterThan(10_000);
    expect(t, JSON.stringify(report.examples)).toMatchObject({
      lost: 0,
      duplicated: 0,
      phantom: 0,
      pending: 0,
    });
    expect(t.countedDrops).toBe(figures.droppedDuringOutage);
    expect(t.committed - t.stored).toBe(t.countedDrops);
    expect(t.gapSeqs).toBe(t.countedDrops);
    expect(t.droppedMissing).toBe(t.countedDrops);
  }, 120_000);
});
