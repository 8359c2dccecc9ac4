import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running the module `name` beside the caller (`from` is the caller's
 * import.meta.url). The build runs `name.js` as it is. From source (tests, `npm start`) the
 * worker is TypeScript too: a small bootstrap registers tsx's loader in the worker, then imports
 * it.
 */
export function moduleWorker(from: string, name: string, options: WorkerOptions = {}): Worker {
  if (!from.endsWith('.ts')) {
    // The build: a worker does not inherit the resolve hook of cli/gridlink-central.js (Node 20),
    // so it gets the `gridlink-build` condition as a flag (docs/DEPLOY.md).
    const execArgv = [...(options.execArgv ?? process.execArgv)];
    if (!execArgv.some((a) => a.includes('gridlink-build')))
      execArgv.push('--conditions=gridlink-build');
    return new Worker(new URL(`./${name}.js`, from), { ...options, execArgv });
  }
  // require.resolve finds the CommonJS twin of tsx's ESM API; the worker imports the ESM one.
  const api = createRequire(from)
    .resolve('tsx/esm/api')
    .replace(/\.cjs$/, '.mjs');
  const tsx = pathToFileURL(api).href;
  const entry = new URL(`./${name}.ts`, from).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
