/**
 * `npm run package:edge [-- --out DIR]`: the edge agent as a slim install for a gateway (docs/DEPLOY.md,
 * "A slim edge package"): the esbuild bundle of `npm run build` (edge/bundle/gridlink-edge.mjs, all
 * pure-JS dependencies inside) as DIR/gridlink-edge.js, the device profiles beside it, and in
 * DIR/node_modules only what the bundle leaves external: classic-level and serialport with their
 * runtime dependencies, native prebuilds for Linux x64 and arm64 only, no C++ sources, headers,
 * tests or docs. No PGlite, no Swagger UI, no TypeScript: `node DIR/gridlink-edge.js --config …`.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The bundle's externals (deploy/build/bundle-edge.ts): loaded from node_modules at run time. */
export const EXTERNAL_PACKAGES = ['classic-level', 'serialport'];
/** Build-time only (C headers for node-gyp): not needed beside a prebuild. */
const BUILD_ONLY = new Set(['node-addon-api', 'napi-macros', 'node-gyp']);
/** Platforms whose native prebuilds are kept (a Pi 3/4/5 with a 64-bit OS, a PC or server). */
export const PLATFORMS = ['linux-x64', 'linux-arm64'];
const SKIP_DIRS = new Set(['deps', 'test', 'tests', 'docs', 'example', 'examples', '.github']);
const SKIP_FILE =
  /\.(cc|cpp|c|h|hpp|gyp|gypi|md|markdown|map|ts|tsbuildinfo)$|^(LICENSE\.md|CHANGELOG.*|binding\.gyp)$/i;

/** Where `name` resolves from package directory `from` (node_modules lookup upwards, in root). */
function packageDir(name: string, from: string): string {
  for (let dir = from; dir.startsWith(root); dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root) break;
  }
  throw new Error(
    `${name} is not installed (needed by ${relative(root, from) || 'the edge'}): run npm ci`,
  );
}

/** The runtime dependency closure of the externals, as package directories. */
export function runtimePackages(): string[] {
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
    };
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) {
      if (BUILD_ONLY.has(dep)) continue;
      visit(packageDir(dep, dir));
    }
  };
  for (const name of EXTERNAL_PACKAGES) visit(packageDir(name, join(root, 'edge')));
  return [...seen].sort();
}

function copyPackage(from: string, to: string): void {
  cpSync(from, to, {
    recursive: true,
    filter: (src) => {
      const rel = relative(from, src);
      if (rel === '') return true;
      const parts = rel.split('/');
      // Nested node_modules are packages of their own: copied when the closure reaches them.
      if (parts.includes('node_modules')) return false;
      const name = basename(src);
      if (statSync(src).isDirectory()) {
        if (parts[0] === 'prebuilds' && parts.length === 2)
          return PLATFORMS.some((p) => name.startsWith(p));
        // serialport's bindings keep their JS in dist/; only C++ sources live in src/ there.
        if (name === 'src' && existsSync(join(from, 'dist'))) return false;
        return !SKIP_DIRS.has(name);
      }
      return !SKIP_FILE.test(name);
    },
  });
}

function bytesIn(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? bytesIn(p) : statSync(p).size;
  }
  return total;
}

export function packageEdge(out: string): { out: string; bytes: number; packages: string[] } {
  const bundle = join(root, 'edge', 'bundle', 'gridlink-edge.mjs');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  cpSync(bundle, join(out, 'gridlink-edge.js'));
  cpSync(join(root, 'edge', 'bundle', 'profiles'), join(out, 'profiles'), { recursive: true });
  const version = (
    JSON.parse(readFileSync(join(root, 'edge', 'package.json'), 'utf8')) as { version: string }
  ).version;
  writeFileSync(
    join(out, 'package.json'),
    `${JSON.stringify({ name: 'gridlink-edge', version, private: true, type: 'module', engines: { node: '>=20.19' } }, null, 2)}\n`,
  );
  const packages = runtimePackages();
  for (const dir of packages) copyPackage(dir, join(out, relative(root, dir)));
  return {
    out,
    bytes: bytesIn(out),
    packages: packages.map((p) => relative(join(root, 'node_modules'), p)),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const result = packageEdge(resolve(values.out ?? join(root, 'dist', 'gridlink-edge')));
  process.stdout.write(
    `edge package: ${result.out} (${(result.bytes / 1024 / 1024).toFixed(1)} MiB; ${result.packages.length} packages in node_modules: ${result.packages.join(', ')})\n`,
  );
}
