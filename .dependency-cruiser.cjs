/**
 * Import rules, checked in CI by `npm run depcheck` (ARCHITECTURE.md "Repository layout",
 * STYLE.md "One folder per capability", "Packages depend downward").
 *
 * - no import cycle anywhere, counting type-only imports;
 * - no cycle between the capability folders of the central (billing -> customers -> billing was
 *   one, dodged with deep imports);
 * - packages depend downward: shared imports no other package; edge, central and firmware-sim
 *   import shared only; deploy/ and bench/ may import all;
 * - inside central/src a folder is entered through its index.ts face, never its internals;
 * - the central's domain folders know nothing of HTTP (no import of http/ or hono).
 *
 * deploy/test/dependency-rules.test.ts runs these rules on fixtures that break each one.
 */
const SIBLINGS = ['edge', 'central', 'firmware-sim'];

/** A module inside package `name`, by its path in the repo or through node_modules. */
const inPackage = (name) => `^(?:node_modules/@gridlink/)?${name}/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle. Move what both sides need into a leaf, or invert the dependency.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-capabilities',
      severity: 'error',
      comment:
        'Capability folders of the central import each other in a cycle (even through deep ' +
        'imports that avoid a file cycle). Move what both need into a leaf folder.',
      scope: 'folder',
      from: { path: '^central/src/' },
      to: { path: '^central/src/', circular: true },
    },
    {
      name: 'shared-imports-no-package',
      severity: 'error',
      comment: 'shared is the bottom layer: it imports no other package of the repo.',
      from: { path: inPackage('shared') },
      to: { path: inPackage('(?:edge|central|firmware-sim|deploy|bench)') },
    },
    ...SIBLINGS.map((name) => ({
      name: `${name}-imports-only-shared`,
      severity: 'error',
      comment: `${name} may import shared, never a sibling package, deploy/ or bench/.`,
      from: { path: inPackage(name) },
      to: {
        path: inPackage(
          `(?:${[...SIBLINGS.filter((other) => other !== name), 'deploy', 'bench'].join('|')})`,
        ),
      },
    })),
    {
      name: 'ui-talks-only-http',
      severity: 'error',
      comment:
        'The web UI (ui/src) runs in the browser and talks to the central only over /api/v1: it imports no package of the repo.',
      from: { path: '^ui/src/' },
      to: { path: inPackage('(?:shared|edge|central|firmware-sim|deploy|bench)') },
    },
    {
      name: 'central-capability-face',
      severity: 'error',
      comment:
        "Import another capability folder through its index.ts, never its internals (STYLE.md 'One folder per capability').",
      from: { path: '^central/src/([^/]+)/' },
      to: {
        path: '^central/src/[^/]+/.+',
        pathNot: ['^central/src/$1/', '^central/src/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'domain-knows-no-http',
      severity: 'error',
      comment:
        'Domain folders of the central throw catalog codes and return values; only http/ (and the composition root) know HTTP. hono/html is an escaping template, not HTTP: billing renders the printable invoice with it (docs/BILLING.md).',
      from: { path: '^central/src/[^/]+/', pathNot: '^central/src/(http|cli)/' },
      to: {
        path: ['^central/src/http/', '(^|/)node_modules/(hono|@hono)/'],
        pathNot: '(^|/)node_modules/hono/dist/helper/html/',
      },
    },
    {
      name: 'central-root-uses-faces',
      severity: 'error',
      comment: 'The composition root (central/src/*.ts) imports capability folders by their face.',
      from: { path: '^central/src/[^/]+\\.ts$' },
      to: { path: '^central/src/[^/]+/.+', pathNot: '^central/src/[^/]+/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Built output of the packages; node_modules is listed (hono for the rule above), not followed.
    exclude: { path: '^(shared|edge|central|firmware-sim|deploy|bench|ui)/(dist|build)/' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'default'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
