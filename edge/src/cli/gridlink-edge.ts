/**
 * The compiled CLI's entry point (`npm run build` → edge/build/cli/gridlink-edge.js), run with
 * plain `node`: it adds the `gridlink-build` export condition before anything imports
 * `@gridlink/*`, so those resolve to their compiled `build/index.js` (their `default` is the
 * TypeScript source, for tests and tsx). Nothing is imported statically here: the hook must be in
 * place first. docs/DEPLOY.md, "The compiled build".
 */
import { register } from 'node:module';

register(
  'data:text/javascript,export async function resolve(s, c, next) {' +
    ' return next(s, { ...c, conditions: [...c.conditions, "gridlink-build"] }); }',
);
await import('./main.js');
