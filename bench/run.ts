/**
 * `npm run bench -- NAME` runs bench/NAME.ts; `npm run bench` runs them all. Each benchmark ends
 * with one JSON line per figure: {"bench","metric","value","unit","baseline","ratio"}, the ratio
 * taken against a baseline measured in the same run.
 *
 * The npm script compiles first (`npm run build`) and runs with `--conditions=gridlink-build`, so
 * the code measured is the compiled build that the systemd units run, not TypeScript through
 * tsx; the benchmark files themselves still load through tsx.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Benchmark } from './lib/figure.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();

const measured = import.meta.resolve('@gridlink/edge');
process.stderr.write(
  measured.endsWith('/build/index.js')
    ? 'measuring the compiled build (npm run build, --conditions=gridlink-build)\n'
    : `NOTICE: measuring TypeScript sources through tsx (${measured}); run "npm run bench" for the compiled build\n`,
);

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted) {
  if (!available.includes(name)) {
    process.stderr.write(`unknown benchmark "${name}"; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
}

for (const name of wanted.length ? wanted : available) {
  const mod = (await import(`./${name}.ts`)) as { default: Benchmark };
  process.stderr.write(`== ${name}\n`);
  const figures = await mod.default({ log: (line) => process.stderr.write(`   ${line}\n`) });
  for (const f of figures) {
    const ratio = f.baseline ? Number((f.value / f.baseline).toFixed(3)) : null;
    process.stdout.write(
      `${JSON.stringify({ bench: name, metric: f.metric, value: f.value, unit: f.unit, baseline: f.baseline ?? null, ratio })}\n`,
    );
  }
}
