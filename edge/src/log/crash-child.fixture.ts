/**
 * Child process for the crash test (level-reading-log.test.ts): appends batches of 5 readings
 * with sync: true and prints `committed <lastSeq>` after each commit, until it is killed.
 * Usage: node --import tsx crash-child.fixture.ts <dir>
 */
import { openReadingLog } from './level-reading-log.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-child.fixture.ts <dir>');
const log = await openReadingLog({ dir, sync: true });
process.stdout.write(`epoch ${log.epoch}\n`);
let next = log.stats().lastSeq + 1;
for (let round = 0; round < 1_000_000; round++) {
  const batch = Array.from({ length: 5 }, (_, i) => ({
    deviceId: 'meter-1',
    ts: Date.now(),
    quality: 'good' as const,
    values: { n: next + i },
  }));
  const { lastSeq } = await log.append(batch);
  next = lastSeq + 1;
  process.stdout.write(`committed ${lastSeq}\n`);
}
