/// <reference lib="dom" />
/**
 * `npm run bench -- ui`: the web UI in Debian's Chromium against a real central (PGlite).
 *
 * - Time to the first chart: from navigation start to the chart's draw (a performance mark the
 *   page sets) on /history for a year by hour, 8,760 buckets of one meter's year of 15-minute
 *   readings (bench/lib/history-data.ts). Baseline: the same page for a month by day (30 bars):
 *   what the page costs besides the chart. Median of 5 cold loads (new context: no cache).
 * - The compressed size of a first visit: every byte the browser downloads for /history before
 *   the API answers (index.html and its assets, gzip as the central sends them). Baseline: the
 *   central's other page, Swagger UI at /docs.
 * - Drawing 8,760 points: our canvas chart (ui/src/components/chart-draw.ts) against uPlot
 *   (baseline), both in the same blank page, median of 15 draws at 1000 × 260 px.
 * Goals (issue #20): first chart ≤ 1 s, first visit ≤ 250 KB compressed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { upsertEdgeCredential } from '@gridlink/central';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { buildUiOnce, launchChromium, requireChromium } from '../ui/test/helpers/browser.js';
import { type Benchmark, round } from './lib/figure.js';
import { addMeters, benchStream, EDGE_ID, insertYear } from './lib/history-data.js';
import { percentile, startBenchCentral } from './lib/history-store.js';

const require = createRequire(import.meta.url);
const RUNS = 5;
const median = (xs: number[]) => percentile(xs, 50);

/** ms from navigation start to the chart's draw with `points` buckets, for a signed-in customer. */
async function firstChart(
  browser: Browser,
  base: string,
  session: unknown,
  path: string,
  points: number,
): Promise<{ ms: number; afterApi: number }> {
  const context = await browser.newContext({
    locale: 'pt-BR',
    viewport: { width: 1200, height: 900 },
  });
  await context.addInitScript(
    (s) => sessionStorage.setItem('gridlink.session', s),
    JSON.stringify(session),
  );
  const page = await context.newPage();
  await page.goto(`${base}${path}`);
  await page.locator(`canvas[data-drawn="${points}"]`).waitFor({ timeout: 60_000 });
  const [drawn, apiEnd] = await page.evaluate(() => [
    performance.getEntriesByName('gridlink:chart-drawn').at(-1)?.startTime ?? Number.NaN,
    (
      performance.getEntriesByType('resource').find((e) => e.name.includes('/consumption')) as
        | PerformanceResourceTiming
        | undefined
    )?.responseEnd ?? Number.NaN,
  ]);
  await context.close();
  return { ms: drawn as number, afterApi: (drawn as number) - (apiEnd as number) };
}

/** Bytes on the wire (gzip where the central compresses) of a first visit to `path`. */
async function firstVisitBytes(browser: Browser, url: string): Promise<number> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sizes: Promise<number>[] = [];
  page.on('requestfinished', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/')) return;
    sizes.push(request.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
  });
  await page.goto(url, { waitUntil: 'networkidle' });
  const total = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  await context.close();
  return total;
}

/** Median ms of drawing 8,760 points with our chart and with uPlot, in one blank page. */
async function drawBoth(page: Page, values: number[]): Promise<{ ours: number; uplot: number }> {
  const ours = await build({
    entryPoints: [fileURLToPath(new URL('../ui/src/components/chart-draw.ts', import.meta.url))],
    bundle: true,
    format: 'iife',
    globalName: 'GridLinkChart',
    write: false,
  });
  await page.setContent(
    '<div id="u" style="width:1000px"></div><canvas id="c" style="width:1000px;height:260px"></canvas>',
  );
  await page.addScriptTag({ content: ours.outputFiles[0]?.text ?? '' });
  await page.addScriptTag({ path: require.resolve('uplot/dist/uPlot.iife.min.js') });
  await page.addStyleTag({ path: require.resolve('uplot/dist/uPlot.min.css') });
  // tsx keeps function names with a `__name` helper that the page does not have.
  await page.evaluate('window.__name = (f) => f');
  return page.evaluate(async (vs) => {
    const w = window as unknown as {
      GridLinkChart: { drawChart: (...a: unknown[]) => void };
      uPlot: new (opts: unknown, data: unknown, el: HTMLElement) => { destroy(): void };
    };
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const canvas = document.getElementById('c') as HTMLCanvasElement;
    const colors = { bar: '#1d5fa8', compare: '#a34f00', text: '#333', grid: '#ccc' };
    const data = { values: vs, ticks: [], axis: (v: number) => v.toFixed(0) };
    const oursMs: number[] = [];
    const uplotMs: number[] = [];
    const xs = vs.map((_, i) => 1_767_225_600 + i * 3600);
    const el = document.getElementById('u') as HTMLElement;
    for (let i = 0; i < 15; i++) {
      let t = performance.now();
      w.GridLinkChart.drawChart(canvas, 1000, 260, data, colors);
      oursMs.push(performance.now() - t);
      t = performance.now();
      const plot = new w.uPlot(
        { width: 1000, height: 260, series: [{}, { stroke: '#1d5fa8' }] },
        [xs, vs],
        el,
      );
      await null; // uPlot commits its first draw in a microtask queued by the constructor
      uplotMs.push(performance.now() - t);
      plot.destroy();
    }
    return { ours: med(oursMs), uplot: med(uplotMs) };
  }, values);
}

const ui: Benchmark = async ({ log }) => {
  requireChromium('bench ui');
  buildUiOnce();
  const bc = await startBenchCentral('pglite', log);
  if (!bc) throw new Error('no central');
  const browser = await launchChromium();
  try {
    const { central, adminToken } = bc;
    const base = central.http.url;
    const api = async (method: string, path: string, body?: unknown, token = adminToken) => {
      const res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes
      return (await res.json()) as any;
    };
    await upsertEdgeCredential(central.database.db, EDGE_ID);
    const stream = await benchStream(central);
    const [meterId] = await addMeters(central, 1, 1);
    await insertYear(central, stream, [meterId as number]);
    await bc.fire('metering.rollup', new Date());
    const customer = await api('POST', '/customers', {
      document: '52998224725',
      name: 'Bench',
      password: 'bench-password-1',
      timeZone: 'America/Bahia',
    });
    await api('POST', `/customers/${customer.id}/meters`, { meterId });
    const session = await api('POST', '/auth/login', {
      document: '52998224725',
      password: 'bench-password-1',
    });
    const year = await api(
      'GET',
      `/customers/${customer.id}/consumption?period=year&granularity=hour`,
      undefined,
      session.token,
    );
    const points = year.buckets.length as number;
    const apiMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await api(
        'GET',
        `/customers/${customer.id}/consumption?period=year&granularity=hour`,
        undefined,
        session.token,
      );
      apiMs.push(performance.now() - t);
    }
    log(`the API alone, a year by hour: ${apiMs.map((m) => round(m)).join(', ')} ms`);
    log(`a year by hour: ${points} buckets, ${year.totalKwh} kWh`);

    const yearMs: number[] = [];
    const monthMs: number[] = [];
    const yearAfterApi: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const y = await firstChart(
        browser,
        base,
        session,
        '/history?period=year&granularity=hour',
        points,
      );
      yearMs.push(y.ms);
      yearAfterApi.push(y.afterApi);
      monthMs.push(
        (await firstChart(browser, base, session, '/history?period=month&granularity=day', 31)).ms,
      );
    }
    log(`first chart, year by hour: ${yearMs.map((m) => round(m)).join(', ')} ms`);
    log(
      `of which the page after the API's answer: ${yearAfterApi.map((m) => round(m)).join(', ')} ms`,
    );
    log(`first chart, month by day: ${monthMs.map((m) => round(m)).join(', ')} ms`);

    const uiBytes = await firstVisitBytes(browser, `${base}/signin`);
    const docsBytes = await firstVisitBytes(browser, `${base}/docs`);
    const assets = readFileSync(
      fileURLToPath(new URL('../ui/dist/index.html', import.meta.url)),
      'utf8',
    );
    log(
      `first visit: ${uiBytes} B (index.html references ${assets.match(/\/assets\//g)?.length} assets); Swagger UI: ${docsBytes} B`,
    );

    const page = await (await browser.newContext()).newPage();
    const draw = await drawBoth(
      page,
      (year.buckets as Array<{ wh: number }>).map((b) => b.wh),
    );
    log(
      `drawing ${points} points: ours ${round(draw.ours, 2)} ms, uPlot ${round(draw.uplot, 2)} ms`,
    );
    return [
      {
        metric: 'first_chart_year_hourly_ms',
        value: round(median(yearMs)),
        unit: 'ms',
        baseline: round(median(monthMs)),
      },
      { metric: 'year_hourly_page_after_api_ms', value: round(median(yearAfterApi)), unit: 'ms' },
      {
        metric: 'first_visit_gzip_kb',
        value: round(uiBytes / 1024),
        unit: 'KB',
        baseline: round(docsBytes / 1024),
      },
      {
        metric: 'draw_8760_points_ms',
        value: round(draw.ours, 2),
        unit: 'ms',
        baseline: round(draw.uplot, 2),
      },
    ];
  } finally {
    await browser.close();
    await bc.close();
  }
};

export default ui;
