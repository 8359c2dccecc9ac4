import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './vitest.sequencer.js';

const packages = ['shared', 'edge', 'central', 'firmware-sim'];

// Migrated PGlite templates (central/src/storage/template-cache.ts): here for the global setup,
// which runs in this process; `env` below hands it to the test processes.
const pgliteTemplates = join(tmpdir(), 'gridlink-pglite-templates');
process.env.GRIDLINK_PGLITE_TEMPLATES ??= pgliteTemplates;

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Longest files first across all projects (vitest.sequencer.ts): by default vitest orders by
    // project name, so the browser files started last and stretched the run's end.
    sequence: { sequencer: LongestFirstSequencer },
    // A new PGlite database (in memory, or in an empty folder) loads a migrated template from
    // this cache instead of running initdb and every migration (central/src/storage/
    // template-cache.ts); keyed by PGlite and the migrations, so never stale. Child processes
    // the tests start inherit it.
    // GRIDLINK_TEST_BUILD: tests start centrals as processes from the compiled build, which the
    // global setup below builds first (@gridlink/central/testing `centralCommand`).
    env: { GRIDLINK_PGLITE_TEMPLATES: pgliteTemplates, GRIDLINK_TEST_BUILD: '1' },
    // Builds these once before any file starts (or finds them cached), not in a test's hook.
    globalSetup: [
      fileURLToPath(new URL('./deploy/test/helpers/build-setup.ts', import.meta.url)),
      fileURLToPath(new URL('./central/src/testing/pglite-template-setup.ts', import.meta.url)),
    ],
    // expect.poll waits for an event; under CI's load (two workers on two cores, with PostgreSQL,
    // Mosquitto and child processes beside them) a second is too short a wait, not a threshold.
    expect: { poll: { timeout: 10_000 } },
    projects: [
      ...packages.map((name) => ({
        extends: true as const,
        test: { name, root: `./${name}`, include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      })),
      // The web UI in a real Chromium against a real central (ui/test; may depend on central).
      {
        extends: true as const,
        test: { name: 'ui', root: './ui', include: ['test/**/*.test.ts'] },
      },
      // Whole-system tests: central, edge and simulator together (deploy/ may depend on all).
      {
        extends: true as const,
        test: { name: 'e2e', root: './deploy', include: ['test/**/*.test.ts'] },
      },
    ],
  },
});
