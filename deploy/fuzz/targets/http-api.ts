import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Central, mintToken, startCentral, upsertEdgeCredential } from '@gridlink/central';
import { edgeTopic, errorCodes } from '@gridlink/shared';
import mqtt from 'mqtt';
import { httpRequest, ownPool } from '../http-request.js';
import { LogCapture } from '../log-capture.js';
import { httpCase, type KnownIds, type Operation, operationsOf } from '../openapi-cases.js';
import { caseRng } from '../rng.js';
import { bump, Failures, type Tally } from '../tally.js';

export interface HttpFuzzOptions {
  seed: number;
  cases: number;
  only?: number;
  /**
   * Error statuses tolerated on operations that do not document them (a known gap, counted in
   * `tolerated` instead of failing). Default none: the soak command is strict.
   */
  tolerateUndocumented?: readonly string[];
  progress?: (line: string) => void;
}

export interface HttpFuzzReport {
  seed: number;
  cases: number;
  operations: number;
  classes: Tally;
  /** Answers by status, and error answers by code. */
  statuses: Tally;
  codes: Tally;
  /** Operations that answered 2xx at least once, and those that answered 4xx. */
  reached2xx: number;
  /** The fuzzer's own token revoked (it signed itself out) and minted again. */
  tokenRenewals: number;
  wellBehavedRequests: number;
  /** Answers that broke a rule the caller chose to tolerate, by status. */
  tolerated: Tally;
  failures: Failures;
}

/** A well-behaved client asks after every this many cases. */
const GOOD_EVERY = 20;

/**
 * Target 4: every operation in the central's `/openapi.json` (walked, not listed by hand), with
 * inputs made from its schemas and then damaged (openapi-cases.ts), sent as admin to the real
 * HTTP server (port 0) of a central in this process whose log the suite reads. Every answer must
 * be 2xx, or a 4xx the operation documents with a JSON body `{error:{code}}` whose code is in
 * the catalog; never a 5xx. A second admin client keeps asking throughout and is always served.
 */
export async function fuzzHttpApi(o: HttpFuzzOptions): Promise<HttpFuzzReport> {
  const progress = o.progress ?? (() => undefined);
  const failures = new Failures('--target http', o.seed);
  const report: HttpFuzzReport = {
    seed: o.seed,
    cases: 0,
    operations: 0,
    classes: {},
    statuses: {},
    codes: {},
    reached2xx: 0,
    tokenRenewals: 0,
    wellBehavedRequests: 0,
    tolerated: {},
    failures,
  };
  const dir = await mkdtemp(join(tmpdir(), 'gl-fuzz-http-'));
  const capture = new LogCapture();
  let central: Central | undefined;
  try {
    central = await startCentral(
      { dataDir: join(dir, 'central'), http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 } },
      { logger: capture.logger, scheduler: false },
    );
    const db = central.database.db;
    const base = central.http.url;
    const goodToken = await mintToken(db, { role: 'admin', label: 'well-behaved' });
    let token = await mintToken(db, { role: 'admin', label: 'fuzzer' });
    const ids = await seed(central, goodToken);
    const ops = operationsOf(await (await fetch(`${base}/openapi.json`)).json());
    report.operations = ops.length;
    const byOperation = new Map(ops.map((op) => [`${op.method} ${op.path}`, op]));
    const reached = new Set<string>();

    // The well-behaved client has connections of its own; the fuzzer opens one per case.
    const pool = ownPool();
    const wellBehaved = async (index: number) => {
      report.wellBehavedRequests++;
      for (const url of [
        '/healthz',
        `/api/v1/customers/${ids.customerId}`,
        '/api/v1/meters?limit=5',
      ]) {
        const res = await httpRequest(
          base,
          { method: 'GET', url, headers: { authorization: `Bearer ${goodToken}` } },
          pool,
        ).catch((e: Error) => e);
        if (res instanceof Error || res.status !== 200)
          failures.add(
            `the well-behaved client's GET ${url} answered ${res instanceof Error ? res.message : `${res.status} ${res.text.slice(0, 200)}`}`,
            index,
          );
      }
    };

    const indices = o.only === undefined ? Array.from({ length: o.cases }, (_, i) => i) : [o.only];
    for (const index of indices) {
      const c = httpCase(caseRng(o.seed, index), ops, ids, Date.now());
      report.cases++;
      bump(report.classes, c.kind);
      const errorsBefore = capture.errors.length;
      const send = () =>
        httpRequest(
          base,
          {
            method: c.method,
            url: c.url,
            headers: {
              authorization: `Bearer ${token}`,
              ...(c.contentType !== undefined ? { 'content-type': c.contentType } : {}),
            },
            ...(c.body !== undefined ? { body: c.body } : {}),
          },
          false,
        ).catch((e: Error) => e);
      let res = await send();
      if (!(res instanceof Error) && res.status === 401 && !c.operation.includes('/auth/login')) {
        // The fuzzer signed itself out (POST /auth/logout): a new token, and the case again.
        report.tokenRenewals++;
        token = await mintToken(db, { role: 'admin', label: 'fuzzer' });
        res = await send();
      }
      const request = `${c.method} ${c.url.slice(0, 300)}${c.body !== undefined ? ` body ${JSON.stringify(c.body.slice(0, 300))}` : ''}`;
      if (res instanceof Error) {
        failures.add(`${request}: no answer (${res.message})`, index);
        continue;
      }
      const text = res.text;
      bump(report.statuses, String(res.status));
      const op = byOperation.get(c.operation) as Operation;
      if (res.status >= 200 && res.status < 300) reached.add(c.operation);
      else {
        let code: unknown;
        try {
          code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
        } catch {
          code = undefined;
        }
        bump(report.codes, String(code));
        const logged = capture.errors.slice(errorsBefore).map((l) => l.err?.message ?? l.msg);
        if (res.status >= 500)
          failures.add(
            `${request} → ${res.status} ${text.slice(0, 200)}${logged.length ? ` (logged: ${logged.join('; ').slice(0, 300)})` : ''}`,
            index,
          );
        else if (
          !op.responses.includes(String(res.status)) &&
          o.tolerateUndocumented?.includes(String(res.status))
        )
          bump(report.tolerated, String(res.status));
        else if (!op.responses.includes(String(res.status)))
          failures.add(
            `${request} → ${res.status} ${String(code)}, not documented for ${c.operation}`,
            index,
          );
        else if (typeof code !== 'string' || !errorCodes.includes(code as never))
          failures.add(
            `${request} → ${res.status} without a catalog code: ${text.slice(0, 200)}`,
            index,
          );
      }
      if (report.cases % GOOD_EVERY === 0) await wellBehaved(index);
      if (report.cases % 1000 === 0) progress(`http: ${report.cases} requests`);
    }
    await wellBehaved(o.only ?? o.cases);
    pool.destroy();
    report.reached2xx = reached.size;
    return report;
  } finally {
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Rows for valid-looking requests to reach: a customer, an edge whose telemetry made a meter
 * (published over MQTT, as an edge does), the meter bound to the customer, a closed month's
 * invoice.
 */
async function seed(central: Central, token: string): Promise<KnownIds> {
  const base = central.http.url;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok)
      throw new Error(`seeding ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const customer = await call('POST', '/api/v1/customers', {
    document: '52998224725',
    name: 'Fuzz Customer',
  });
  const edgeId = 'edge-http-fuzz';
  const secret = await upsertEdgeCredential(central.database.db, edgeId);
  const client = await mqtt.connectAsync(central.mqttUrl, {
    username: edgeId,
    password: secret,
    clientId: `edge-${edgeId}`,
    reconnectPeriod: 0,
  });
  const t0 = Date.now() - 40 * 86_400_000;
  const readings = Array.from({ length: 40 }, (_, i) => ({
    seq: i + 1,
    deviceId: 'm-1',
    ts: t0 + i * 86_400_000,
    quality: 'good',
    values: { energy_import: 100 + i * 10 },
  }));
  await client.subscribeAsync(edgeTopic(edgeId, 'ack'), { qos: 1 });
  const acked = new Promise<void>((r) => client.once('message', () => r()));
  await client.publishAsync(
    edgeTopic(edgeId, 'telemetry'),
    JSON.stringify({
      edgeId,
      epoch: 'http-fuzz-0001',
      firstSeq: 1,
      lastSeq: 40,
      dropped: 0,
      readings,
    }),
    { qos: 1 },
  );
  await acked;
  await client.endAsync();
  const meters = (await call('GET', '/api/v1/meters')) as { items?: Array<{ id: number }> };
  const meterId = meters.items?.[0]?.id;
  if (meterId === undefined) throw new Error('seeding: the telemetry made no meter');
  await call('POST', `/api/v1/customers/${customer.id}/meters`, { meterId });
  // The charging network (the Feira de Santana stations: ids 1.. for stations and points, as
  // the meter's), a driver and a car, so the EV operations' valid requests find rows too.
  await call('POST', '/api/v1/companies', { id: 'feira', name: 'Feira' });
  const csv = await readFile(
    fileURLToPath(new URL('../../demo/seed/feira_de_santana_stations.csv', import.meta.url)),
  );
  const imported = await fetch(`${base}/api/v1/companies/feira/imports?format=feira`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  if (!imported.ok) throw new Error(`seeding the network: ${imported.status}`);
  const driver = await call('POST', '/api/v1/drivers', {
    document: '11144477735',
    name: 'Fuzz Driver',
    password: 'correct-horse-battery',
  });
  await call('POST', '/api/v1/cars', {
    plate: 'ABC1D23',
    model: 'Nissan Leaf',
    driverId: driver.id,
  });
  const period = new Date(Date.now() - 31 * 86_400_000).toISOString().slice(0, 7);
  await call('POST', '/api/v1/billing/close', { period });
  const invoices = (await call('GET', '/api/v1/invoices')) as { items?: Array<{ id: number }> };
  return {
    customerId: customer.id as number,
    meterId,
    edgeId,
    invoiceId: invoices.items?.[0]?.id,
  };
}
