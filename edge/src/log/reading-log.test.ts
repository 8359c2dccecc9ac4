import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createMemoryReadingLog, openReadingLog } from './index.js';
import { describeReadingLog } from './reading-log.conformance.js';

const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describeReadingLog('memory', async (bounds) => createMemoryReadingLog(bounds));

// The default tail cache serves most reads from memory; with it off (0) or a tiny one (300
// bytes: a reading or two), reads go to LevelDB or straddle the two.
for (const [sync, tailCacheBytes] of [
  [true, undefined],
  [false, undefined],
  [false, 0],
  [false, 300],
] as const) {
  const tail = tailCacheBytes === undefined ? '' : `, tail cache ${tailCacheBytes} bytes`;
  describeReadingLog(`LevelDB (sync: ${sync}${tail})`, async (bounds) => {
    const dir = await mkdtemp(join(tmpdir(), 'gl-log-'));
    dirs.push(dir);
    return openReadingLog({
      dir,
      sync,
      ...bounds,
      ...(tailCacheBytes === undefined ? {} : { tailCacheBytes }),
    });
  });
}
