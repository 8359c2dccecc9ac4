/**
 * `npm run bench -- legacy` (issue #18 "Done when"): the original clients' faces against bare
 * servers in the same run. Seed B: bench/legacy-seed-b.ts; seed C: bench/legacy-seed-c.ts.
 */
import { seedBBench } from './legacy-seed-b.js';
import { benchSeedC } from './legacy-seed-c.js';
import type { Benchmark, Figure } from './lib/figure.js';

const parts = [seedBBench, benchSeedC];

const bench: Benchmark = async (ctx) => {
  const figures: Figure[] = [];
  for (const part of parts) figures.push(...(await part(ctx)));
  return figures;
};
export default bench;
