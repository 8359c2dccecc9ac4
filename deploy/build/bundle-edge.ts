/**
 * `npm run build`, last step: the edge agent as one minified ES module for gateways
 * (edge/bundle/gridlink-edge.mjs) with its profiles beside it (edge/bundle/profiles/). One file
 * instead of ~400 modules: about 8 MiB less resident memory on a Pi (docs/DEPLOY.md). Native
 * modules (classic-level, serialport's bindings) stay in node_modules.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const out = join(root, 'edge', 'bundle');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(root, 'shared', 'profiles'), join(out, 'profiles'), { recursive: true });
await build({
  entryPoints: [join(root, 'edge', 'src', 'cli', 'main.ts')],
  outfile: join(out, 'gridlink-edge.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  minify: true,
  sourcemap: true,
  conditions: ['gridlink-build'],
  external: ['classic-level', 'serialport', '@serialport/*'],
  // CommonJS dependencies inside an ES module need `require`; the profiles live beside the bundle.
  banner: {
    js: [
      "import { createRequire as __glRequire } from 'node:module';",
      "import { fileURLToPath as __glPath } from 'node:url';",
      'const require = __glRequire(import.meta.url);',
      "process.env.GRIDLINK_PROFILES_DIR ??= __glPath(new URL('./profiles/', import.meta.url));",
    ].join('\n'),
  },
  logLevel: 'warning',
});
process.stdout.write(`edge bundle: ${join(out, 'gridlink-edge.mjs')}\n`);
