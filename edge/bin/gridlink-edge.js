#!/usr/bin/env node
// Development: the TypeScript sources through tsx. An install without dev dependencies
// (npm ci --omit=dev) has no tsx: then the compiled build (npm run build, docs/DEPLOY.md).
let tsx;
try {
  tsx = await import('tsx/esm/api');
} catch {
  tsx = undefined;
}
if (tsx) {
  tsx.register();
  await import('../src/cli/main.ts');
} else {
  await import('../build/cli/gridlink-edge.js');
}
