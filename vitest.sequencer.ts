import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Rough seconds of the longest files (a full run on this 2-core machine): the suite's
 * wall time is set by when these start. vitest's own order runs the projects one after the
 * other by name (central, e2e, edge, firmware-sim, shared, ui) and larger files first within
 * one, so the browser files started last and the fault tests (files of a few lines) last of
 * the e2e ones. Keyed `project:path in the project`; only an order, so a stale figure costs a
 * little wall time, never a result. The build the demo and install tests need is made by the
 * run's global setup (deploy/test/helpers/build-setup.ts) before any file starts.
 */
const MEASURED_S: Record<string, number> = {
  // One full run of 2026-12-07 (two workers, 2 cores, centrals started from the compiled build).
  'e2e:test/demo.test.ts': 121,
  'e2e:test/central-kill-pglite-faults.test.ts': 84,
  'e2e:test/federation-faults.test.ts': 65,
  'central:test/cli-token.test.ts': 57,
  'e2e:test/central-kill-faults.test.ts': 51,
  'e2e:test/edge-kill-faults.test.ts': 39,
  'central:test/ev-network-cli.test.ts': 35,
  'central:src/storage/pglite-thread.test.ts': 27,
  'central:test/backup-restore.test.ts': 27,
  'e2e:test/demo-ev.test.ts': 26,
  'e2e:test/fuzz-telemetry.test.ts': 20,
  'central:test/cli.test.ts': 19,
  'central:test/store-batch.test.ts': 18,
};

/** A file nobody measured: whole-system and browser files are long, the rest short. */
const UNMEASURED_S: Record<string, number> = { e2e: 20, ui: 60 };

/**
 * Longest first, across projects (the longest-processing-time rule): the durations vitest kept
 * from the last run on this machine when it has them, else the table above, else a guess by
 * project; larger files first among equals, as vitest does.
 */
export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { cache } = this.ctx;
    const key = (spec: TestSpecification) =>
      `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
    const projectKey = (spec: TestSpecification) =>
      `${spec.project.name}:${relative(spec.project.config.root, spec.moduleId)}`;
    const seconds = (spec: TestSpecification) => {
      const last = cache.getFileTestResults(key(spec));
      if (last && !last.failed) return last.duration / 1000;
      return MEASURED_S[projectKey(spec)] ?? UNMEASURED_S[spec.project.name] ?? 1;
    };
    const size = (spec: TestSpecification) => cache.getFileStats(key(spec))?.size ?? 0;
    return [...files].sort((a, b) => seconds(b) - seconds(a) || size(b) - size(a));
  }
}
