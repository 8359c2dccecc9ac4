import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The import rules of `npm run depcheck` (.dependency-cruiser.cjs), run by the same CLI CI uses,
 * on small trees laid out like the repo: each rule must fire on the import that breaks it, and
 * stay silent on the imports the architecture allows.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const depcruise = join(repo, 'node_modules', '.bin', 'depcruise');
const config = join(repo, '.dependency-cruiser.cjs');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Runs depcruise in `cwd` over `dirs`; a run with violations exits non-zero, its JSON is kept. */
function cruise(cwd: string, dirs: string[]): Promise<Violation[]> {
  return new Promise((resolve, reject) => {
    execFile(
      depcruise,
      ['--config', config, '--output-type', 'json', ...dirs],
      { cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        try {
          const out = JSON.parse(stdout) as { summary: { violations: Violation[] } };
          resolve(out.summary.violations);
        } catch {
          reject(err ?? new Error(`depcruise printed no JSON: ${stderr}`));
        }
      },
    );
  });
}

/** Writes a tree of `path -> source` under `root`. */
async function tree(root: string, files: Record<string, string>): Promise<void> {
  await writeFile(join(root, 'tsconfig.base.json'), '{"compilerOptions":{"module":"NodeNext"}}');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

const rulesOf = (violations: Violation[]) =>
  violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();

describe('npm run depcheck rules', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'gl-depcheck-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('allows what the architecture allows: downward imports, faces, a capability using its own internals', async () => {
    const dir = join(root, 'good');
    await mkdir(dir);
    await tree(dir, {
      'shared/src/index.ts': "export * from './documents/index.js';\n",
      'shared/src/documents/index.ts': "export { isCpf } from './cpf.js';\n",
      'shared/src/documents/cpf.ts': 'export const isCpf = (s: string) => s.length === 11;\n',
      'central/src/index.ts': "export { start } from './central.js';\n",
      'central/src/central.ts':
        "import { invoice } from './billing/index.js';\nexport const start = () => invoice();\n",
      'central/src/billing/index.ts': "export { invoice } from './invoices/store.js';\n",
      'central/src/billing/invoices/store.ts':
        "import { cents } from '../../money/index.js';\nimport { isCpf } from '../../../../shared/src/index.js';\nexport const invoice = () => cents(isCpf('x') ? 1 : 0);\n",
      'central/src/money/index.ts': "export { cents } from './money.js';\n",
      'central/src/money/money.ts': 'export const cents = (n: number) => n * 100;\n',
      'edge/src/index.ts':
        "import { isCpf } from '../../shared/src/index.js';\nexport const e = isCpf;\n",
      'deploy/run.ts':
        "import { start } from '../central/src/index.js';\nimport { e } from '../edge/src/index.js';\nexport const all = [start, e];\n",
    });
    expect(rulesOf(await cruise(dir, ['shared', 'central', 'edge', 'deploy']))).toEqual([]);
  });

  it('refuses an import cycle, a cycle between capability folders, upward and sideways package imports, deep imports and HTTP in a domain folder', async () => {
    const dir = join(root, 'bad');
    await mkdir(dir);
    await tree(dir, {
      // a file cycle (one side type-only: it counts)
      'central/src/alarms/index.ts': "export { a } from './a.js';\n",
      'central/src/alarms/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'central/src/alarms/b.ts':
        "import type { a } from './a.js';\nexport const b = 1 as unknown as typeof a;\n",
      // folders in a cycle through deep imports (no file cycle): billing -> customers -> billing
      'central/src/billing/index.ts': "export { pix } from './pix.js';\n",
      'central/src/billing/pix.ts':
        "import { isCpf } from '../customers/index.js';\nexport const pix = isCpf;\n",
      'central/src/billing/money.ts': 'export const kwh = 1;\n',
      'central/src/customers/index.ts': "export { isCpf } from './documents.js';\n",
      'central/src/customers/documents.ts': 'export const isCpf = (s: string) => s.length > 0;\n',
      'central/src/customers/store.ts':
        "import { kwh } from '../billing/money.js';\nexport const store = kwh;\n",
      // the composition root reaching past a face
      'central/src/central.ts':
        "import { store } from './customers/store.js';\nexport const start = store;\n",
      // a domain folder speaking HTTP
      'central/src/http/index.ts': "export { httpError } from './errors.js';\n",
      'central/src/http/errors.ts': 'export const httpError = (code: string) => new Error(code);\n',
      'central/src/customers/conflict.ts':
        "import { httpError } from '../http/index.js';\nexport const conflict = httpError('GL_CONFLICT');\n",
      // shared importing up, edge importing sideways
      'shared/src/index.ts':
        "import { start } from '../../central/src/central.js';\nexport const s = start;\n",
      'edge/src/index.ts':
        "import { pix } from '../../central/src/billing/index.js';\nexport const e = pix;\n",
      'firmware-sim/src/index.ts':
        "import { e } from '../../edge/src/index.js';\nexport const f = e;\n",
    });
    expect(rulesOf(await cruise(dir, ['shared', 'central', 'edge', 'firmware-sim']))).toEqual([
      'central-capability-face: central/src/customers/store.ts -> central/src/billing/money.ts',
      'central-root-uses-faces: central/src/central.ts -> central/src/customers/store.ts',
      'domain-knows-no-http: central/src/customers/conflict.ts -> central/src/http/index.ts',
      'edge-imports-only-shared: edge/src/index.ts -> central/src/billing/index.ts',
      'firmware-sim-imports-only-shared: firmware-sim/src/index.ts -> edge/src/index.ts',
      'no-circular-capabilities: central/src/billing -> central/src/customers',
      'no-circular-capabilities: central/src/customers -> central/src/billing',
      'no-circular: central/src/alarms/a.ts -> central/src/alarms/b.ts',
      'shared-imports-no-package: shared/src/index.ts -> central/src/central.ts',
    ]);
  });

  it('finds no violation in this repository', async () => {
    const found = await cruise(repo, [
      'shared',
      'edge',
      'central',
      'firmware-sim',
      'deploy',
      'bench',
    ]);
    expect(rulesOf(found)).toEqual([]);
  });
});
