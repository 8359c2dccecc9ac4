import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Rough seconds of the longest files (alone, one worker; the README's list of where the suite's
 * time goes and this repository's runs of 2026-12-06 on a loaded 2-core machine): the suite's
 * wall time is set by when these start. vitest's own order runs the projects one after the
 * other by name (central, e2e, edge, firmware-sim, shared, ui) and larger files first within
 * one, so the browser files started last and the fault tests (files of a few lines) last of
 * the e2e ones. Keyed `project:path in the project`; only an order, so a stale figure costs a
 * little wall time, never a result. demo.test.ts builds first; install.test.ts, which needs the
 * same build, sits lower so that it finds it done instead of waiting on its lock beside it.
 */
const MEASURED_S: Record<string, number> = {
  // Measured by its author at load 28-30: 398 s (9 CLI runs and three central starts: 217 s).
  'e2e:test/federation-faults.test.ts': 400,
  // Measured by its author at load ~30: 234 s (commit 2f3299d).
  'e2e:test/scale-out-faults.test.ts': 230,
  'e2e:test/demo.test.ts': 200,
  'e2e:test/central-kill-pglite-faults.test.ts': 150,
  'e2e:test/central-kill-faults.test.ts': 150,
  'e2e:test/edge-kill-faults.test.ts': 120,
  'central:test/cli-token.test.ts': 110,
  'e2e:test/demo-ev.test.ts': 90,
  'e2e:test/install.test.ts': 70,
  'central:test/store-batch.test.ts': 60,
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
