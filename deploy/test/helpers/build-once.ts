import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run build` once per test run, never two at a time: the demo and install tests both need
 * the compiled build, and vitest runs them in two workers at once; a second build rewriting
 * `build/` and `edge/bundle/` under the other test's running processes would make both flaky.
 * flock(1) serialises the builds; a stamp named after the test run (the workers' parent process
 * and its start time) skips the second one. The test run's global setup (build-setup.ts) builds
 * first, as the workers' parent, so these find it done.
 */
export function buildOnce(root: string, runner = process.ppid): void {
  let run = `${runner}`;
  try {
    run += `-${readFileSync(`/proc/${runner}/stat`, 'utf8').split(' ')[21]}`;
  } catch {
    run += `-${Date.now()}`; // no /proc: a stamp of its own, so this build always runs
  }
  const stamp = join(tmpdir(), `gridlink-build-${run}.done`);
  execFileSync(
    'flock',
    [
      join(tmpdir(), 'gridlink-build.lock'),
      'sh',
      '-c',
      'test -f "$1" || { npm run build --silent && touch "$1"; }',
      'sh',
      stamp,
    ],
    { cwd: root, stdio: 'pipe' },
  );
}
