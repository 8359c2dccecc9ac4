/**
 * What an operator watches, on real parts: a simulated SDM630 over Modbus TCP (port 0) → a real
 * edge agent with /metrics on → MQTT → the central's embedded broker, ingest, PGlite and HTTP API.
 * Both /metrics endpoints are scraped over HTTP and linted (docs/OBSERVABILITY.md: one `gridlink_`
 * prefix, Node's standard metrics unprefixed, `_total` only on counters, base units, HELP, snake_case
 * labels); the HTTP request histogram, the MQTT connection gauge and the access log are read as
 * an operator would; every log line of the three parts (loggers built as the CLIs build them) must
 * be one JSON object without a repeated key; the Grafana dashboard (deploy/grafana) may query only
 * metrics and labels the registries expose, and its SQL runs on the central's database.
 * On main: `gl_*` and `gl_central_process_*` names, no HTTP or MQTT connection metrics, no access
 * log, the edge's uplink lines carried `edgeId` twice.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Central, createCentralMetrics } from '@gridlink/central';
import { type EdgeAgent, loadMetrics, startEdge } from '@gridlink/edge';
import { type Fleet, parseScenario, startFleet } from '@gridlink/firmware-sim';
import { sql } from 'kysely';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requestJson, startCentralWithManualJobs } from './helpers/central-harness.js';
import {
  duplicateKeys,
  lintFamily,
  type MetricFamily,
  parseExposition,
  seriesNames,
} from './helpers/metric-families.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const EDGE = 'edge-observed';

/** Log lines as written (pino writes one JSON line per call to a plain stream). */
function capture(): { lines: string[]; logger: (base: Record<string, string>) => Logger } {
  const lines: string[] = [];
  const stream = {
    write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean)),
  };
  return { lines, logger: (base) => pino({ level: 'debug', base }, stream) };
}

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('metrics and logs end to end', () => {
  const logs = capture();
  let dir: string;
  let central: Central;
  let admin: string;
  let secret: string;
  let fleet: Fleet;
  let edge: EdgeAgent;
  let centralText = '';
  let edgeText = '';

  const scrapeCentral = async () => {
    const res = await fetch(`${central.http.url}/metrics`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.status).toBe(200);
    return res.text();
  };
  const scrapeEdge = async () => {
    const res = await fetch(`http://127.0.0.1:${edge.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-observability-'));
    // As gridlink-central, gridlink-edge and gridlink-sim build theirs (src/cli/main.ts).
    ({ central, admin } = await startCentralWithManualJobs(
      join(dir, 'central'),
      logs.logger({ svc: 'central' }),
    ));
    fleet = await startFleet(parseScenario({ seed: 5, modbusTcp: { port: 0, meters: 1 } }), {
      logger: logs.logger({ svc: 'firmware-sim' }),
    });
    const m = fleet.modbusTcp[0] as { host: string; port: number };
    const cred = await requestJson(
      central.http.url,
      'PUT',
      `/api/v1/edges/${EDGE}/credential`,
      admin,
    );
    expect(cred.status).toBe(200);
    secret = cred.body.secret;
    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        mqtt: { url: central.mqttUrl, password: secret },
        statusIntervalMs: 1000,
        uplink: { maxDelayMs: 20 },
        metrics: { enabled: true, port: 0 },
        devices: [
          {
            id: 'meter-1',
            profile: 'eastron-sdm630',
            driver: 'modbus-tcp',
            host: m.host,
            port: m.port,
            unitId: 1,
            intervalMs: 200,
          },
        ],
      },
      { logger: logs.logger({ svc: 'edge', edgeId: EDGE }) },
    );
    // The edge's status and readings have reached the central, over MQTT, into the database.
    // (vi.waitFor: expect.poll is for tests, not hooks.)
    await vi.waitFor(
      async () => {
        const res = await requestJson(central.http.url, 'GET', '/api/v1/edges', admin);
        const view = res.body.items.find((e: { id: string }) => e.id === EDGE);
        expect(view?.status?.log?.ackedUpTo ?? 0).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 100 },
    );
    // An unknown route, answered 404: counted under `unmatched`, not under its raw path.
    expect((await requestJson(central.http.url, 'GET', '/api/v1/nowhere/123', admin)).status).toBe(
      404,
    );
    centralText = await scrapeCentral();
    edgeText = await scrapeEdge();
  });

  afterAll(async () => {
    await edge?.close().catch(() => undefined);
    await fleet?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('both registries pass the naming lint (prefix, units, _total, HELP, labels)', () => {
    const problems = [
      ...[...parseExposition(centralText).values()].flatMap((f) => lintFamily(f, 'gridlink_')),
      ...[...parseExposition(edgeText).values()].flatMap((f) => lintFamily(f, 'gridlink_edge_')),
    ];
    expect(problems).toEqual([]);
    for (const text of [centralText, edgeText]) {
      const names = new Set(parseExposition(text).keys());
      // Node's standard metrics, unprefixed: what the standard Node.js dashboards query.
      for (const standard of [
        'process_cpu_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_heap_size_used_bytes',
        'nodejs_eventloop_lag_p99_seconds',
      ])
        expect(names.has(standard), standard).toBe(true);
    }
  });

  it('counts HTTP requests by route template, method and status class', () => {
    const h = 'gridlink_http_request_duration_seconds_count';
    expect(
      sample(centralText, `${h}{method="GET",route="/api/v1/edges",status_class="2xx"}`),
    ).toBeGreaterThan(0);
    expect(
      sample(
        centralText,
        `${h}{method="PUT",route="/api/v1/edges/:edgeId/credential",status_class="2xx"}`,
      ),
    ).toBe(1);
    expect(sample(centralText, `${h}{method="GET",route="unmatched",status_class="4xx"}`)).toBe(1);
    expect(centralText).not.toContain('nowhere');
  });

  it('gauges the MQTT connections of the embedded broker by principal kind', async () => {
    expect(sample(centralText, 'gridlink_mqtt_connections{kind="edge"}')).toBe(1);
    expect(sample(centralText, 'gridlink_mqtt_connections{kind="service"}')).toBe(1);
    expect(sample(centralText, 'gridlink_mqtt_connections{kind="car"}')).toBe(0);
  });

  it('writes an access log line per request: route template, status, duration, token id, never the token', () => {
    const access = logs.lines
      .map((l) => JSON.parse(l))
      .filter((l) => l.svc === 'central' && l.msg === 'http request');
    const edges = access.find((l) => l.route === '/api/v1/edges' && l.method === 'GET');
    expect(edges).toMatchObject({ status: 200, role: 'admin', tokenId: expect.any(String) });
    expect(edges.ms).toBeGreaterThanOrEqual(0);
    expect(access.find((l) => l.route === 'unmatched')).toMatchObject({ status: 404 });
    // The scrape is there too, at debug (a scraper calls it every few seconds).
    expect(access.find((l) => l.route === '/metrics')).toMatchObject({ level: 20, status: 200 });
    for (const line of logs.lines) {
      expect(line).not.toContain(admin);
      expect(line).not.toContain(secret);
    }
  });

  it('every log line of central, edge and simulator is one JSON object without a repeated key', () => {
    const services = new Set<string>();
    const repeated = new Set<string>();
    expect(logs.lines.length).toBeGreaterThan(10);
    for (const line of logs.lines) {
      const parsed = JSON.parse(line) as { svc: string; msg: string };
      services.add(parsed.svc);
      for (const key of duplicateKeys(line)) repeated.add(`${parsed.svc} "${parsed.msg}": ${key}`);
    }
    expect([...repeated]).toEqual([]);
    expect([...services].sort()).toEqual(['central', 'edge', 'firmware-sim']);
  });

  it('the Grafana dashboard queries only metrics and labels the registries expose; its SQL runs', async () => {
    const dashboard = JSON.parse(
      readFileSync(join(root, 'deploy/grafana/gridlink-dashboard.json'), 'utf8'),
    ) as {
      panels: Array<{ title: string; targets?: Array<{ expr?: string; rawSql?: string }> }>;
    };
    const families: MetricFamily[] = [
      ...parseExposition(centralText).values(),
      ...parseExposition(edgeText).values(),
    ];
    const series = seriesNames(families);
    // Label names as the registries declare them (a family with no sample yet shows none).
    const { EdgeMetrics } = await loadMetrics();
    const edgeRegistry = new EdgeMetrics({
      devices: () => [],
      channels: () => [],
      rejections: () => [],
      log: () => ({ pending: 0, dropped: 0, lastSeq: 0 }),
      uplinkConnected: () => false,
    }).registry;
    const declared = new Map<string, string[]>();
    for (const registry of [createCentralMetrics().registry, edgeRegistry])
      for (const m of registry.getMetricsAsArray()) {
        const { name, labelNames } = m as unknown as { name: string; labelNames?: string[] };
        declared.set(name, labelNames ?? []);
      }
    const labelsOf = (name: string) => {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      const f = families.find((x) => x.name === name) ?? families.find((x) => x.name === base);
      return new Set([
        ...(f?.labelNames ?? []),
        ...(f ? (declared.get(f.name) ?? []) : []),
        'job',
        'instance',
        'le',
      ]);
    };
    const promql = dashboard.panels.flatMap((p) =>
      (p.targets ?? [])
        .filter((t) => t.expr)
        .map((t) => ({ title: p.title, expr: t.expr as string })),
    );
    const rawSql = dashboard.panels.flatMap((p) =>
      (p.targets ?? [])
        .filter((t) => t.rawSql)
        .map((t) => ({ title: p.title, sql: t.rawSql as string })),
    );
    expect(promql.length).toBeGreaterThan(20);
    expect(rawSql.length).toBeGreaterThanOrEqual(4);
    for (const { title, expr } of promql) {
      const names = [...expr.matchAll(/\b((?:gridlink|process|nodejs)_[a-z0-9_]+)/g)].map(
        (m) => m[1] as string,
      );
      expect(names.length, title).toBeGreaterThan(0);
      const labels = new Set<string>();
      for (const name of names) {
        expect(series.has(name), `${title}: ${name}`).toBe(true);
        for (const l of labelsOf(name)) labels.add(l);
      }
      // Labels in selectors and in `by (...)` exist on the metrics the expression reads.
      const used = [
        ...[...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) =>
          [...(m[1] as string).matchAll(/([a-z_]+)\s*(?:=~|!=|!~|=)/g)].map((x) => x[1] as string),
        ),
        ...[...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) =>
          (m[1] as string).split(',').map((s) => s.trim()),
        ),
      ];
      for (const label of used) expect(labels.has(label), `${title}: label ${label}`).toBe(true);
    }
    // Grafana's time-range macros, as the PostgreSQL data source expands them.
    const from = "'2026-11-01T00:00:00Z'::timestamptz";
    const to = "'2026-12-01T00:00:00Z'::timestamptz";
    for (const { title, sql: text } of rawSql) {
      const query = text.replaceAll('$__timeFrom()', from).replaceAll('$__timeTo()', to);
      expect(query, title).not.toMatch(/\$__/);
      await expect(sql.raw(query).execute(central.database.db), title).resolves.toBeDefined();
    }
  });

  it('the edge connection leaves the gauge when the edge stops', async () => {
    await edge.close();
    await expect
      .poll(async () => sample(await scrapeCentral(), 'gridlink_mqtt_connections{kind="edge"}'))
      .toBe(0);
  });
});
