/**
 * vitest globalSetup (vitest.config.ts): `npm run build` once, before any test file starts, so the
 * tests that start a central as a process run the compiled build with plain node
 * (@gridlink/central/testing `centralCommand`, GRIDLINK_TEST_BUILD=1), and the demo and install
 * tests find the build done. Runs in vitest's main process, the workers' parent: the stamp
 * buildOnce leaves is the one theirs look for. A build that fails fails the run here, with tsc's
 * message, rather than as a hundred timeouts.
 */
import { fileURLToPath } from 'node:url';
import { buildOnce } from './build-once.js';

export function setup(): void {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  try {
    buildOnce(root, process.pid);
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
    throw new Error(
      `npm run build failed before the tests: ${e.stdout ?? ''}${e.stderr ?? e.message}`,
    );
  }
}
