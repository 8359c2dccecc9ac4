import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../../bin/gridlink-central.js', import.meta.url));
const compiled = fileURLToPath(new URL('../../build/cli/gridlink-central.js', import.meta.url));

/**
 * The node arguments that start `gridlink-central` in a test: `spawn(process.execPath,
 * [...centralCommand(), ...args])`. The compiled build when the test run built it first
 * (vitest.config.ts sets GRIDLINK_TEST_BUILD=1 and its global setup runs `npm run build`): plain
 * node loads it in about a second where the source bin spends two more compiling TypeScript
 * through tsx, every start, and several times that under a loaded CI; and it is what an installed
 * central runs. Otherwise (a test run outside that config) the source bin.
 */
export function centralCommand(): string[] {
  if (process.env.GRIDLINK_TEST_BUILD === '1') return ['--conditions=gridlink-build', compiled];
  return [source];
}
