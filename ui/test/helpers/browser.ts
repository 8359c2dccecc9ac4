import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsqr from 'jsqr';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PNG } from 'pngjs';

const require = createRequire(import.meta.url);
export const UI_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const REPO_ROOT = join(UI_ROOT, '..');
/** Screenshots of every page the tests visit (CI keeps the folder as artifacts; README "Web UI"). */
export const ARTIFACTS = join(REPO_ROOT, 'artifacts', 'ui');

/** Debian's chromium (`.ci/run` installs it); GRIDLINK_CHROMIUM names another. */
export const CHROMIUM = process.env.GRIDLINK_CHROMIUM ?? '/usr/bin/chromium';

/**
 * True when Chromium is there. Missing: under CI=true that is a failure; elsewhere the suite
 * is skipped, loudly (the rule of requirePostgres).
 */
export function requireChromium(suite: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true')
    throw new Error(`${suite} needs Chromium under CI=true but ${CHROMIUM} is missing`);
  console.warn(`\n*** Chromium not found at ${CHROMIUM}: SKIPPING ${suite}. ***\n`);
  return false;
}

/** Headless Chromium for tests and benches: no sandbox (root in CI), nothing talks to the net. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--disable-extensions',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--metrics-recording-only',
      '--mute-audio',
    ],
  });
}

/**
 * `vite build` of the UI into ui/dist, once per test run and never two at a time (flock(1), a
 * stamp per vitest run, as deploy/test/helpers/build-once.ts): the central serves that folder.
 */
export function buildUiOnce(): string {
  let run = `${process.ppid}`;
  try {
    run += `-${statSync(`/proc/${process.ppid}`).ctimeMs}`;
  } catch {
    run += `-${Date.now()}`;
  }
  const stamp = join('/tmp', `gridlink-ui-build-${run}.done`);
  execFileSync(
    'flock',
    [
      '/tmp/gridlink-ui-build.lock',
      'sh',
      '-c',
      'test -f "$1" || { npx vite build --logLevel warn && touch "$1"; }',
      'sh',
      stamp,
    ],
    { cwd: UI_ROOT, stdio: 'inherit' },
  );
  return join(UI_ROOT, 'dist');
}

/** Runs axe-core in the page; returns the serious and critical violations (id: help). */
export async function axeViolations(page: Page): Promise<string[]> {
  const source = require('axe-core').source as string;
  // Evaluated through the DevTools protocol: the page's CSP (scripts from 'self') stays as it is.
  await page.evaluate(source);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run(),
  )) as { violations: Array<{ id: string; impact: string; help: string; nodes: unknown[] }> };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes): ${v.help}`);
}

/** Saves a full-page screenshot under artifacts/ui/NAME.png. */
export async function keepScreenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Decodes the QR code in a PNG (a screenshot): its text, or null when none is found. */
export function decodeQr(png: Buffer): string | null {
  const image = PNG.sync.read(png);
  // jsqr is CommonJS: module.exports is the function, and `.default` too (its types say default).
  const decode = (
    jsqr as unknown as {
      default: (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
    }
  ).default;
  const found = decode(new Uint8ClampedArray(image.data), image.width, image.height);
  return found?.data ?? null;
}
