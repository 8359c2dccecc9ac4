import { spawnSync } from 'node:child_process';

/**
 * Whether an external tool (socat, mbpoll) is on PATH. When it is missing: outside CI the test is
 * skipped with a loud warning; in CI (CI=true) the test must fail, so this returns true and the
 * test runs into the missing tool.
 */
export function haveTool(name: string): boolean {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
  if (found) return true;
  if (process.env.CI === 'true') return true;
  console.warn(
    `\n!!! ${name} is not installed: tests that need it are SKIPPED. Install it (apt-get install ${name}); in CI they fail.\n`,
  );
  return false;
}
