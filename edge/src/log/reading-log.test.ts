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

for (const sync of [true, false]) {
  describeReadingLog(`LevelDB (sync: ${sync})`, async (bounds) => {
    const dir = await mkdtemp(join(tmpdir(), 'gl-log-'));
    dirs.push(dir);
    return openReadingLog({ dir, sync, ...bounds });
  });
}
