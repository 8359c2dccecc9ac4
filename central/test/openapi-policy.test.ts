import { FakeClock } from '@gridlink/shared';
import { createRoute, z } from '@hono/zod-openapi';
import { Aedes } from 'aedes';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { actions, grantsFor, type Role, resources } from '../src/access/index.js';
import { raiseAlarm } from '../src/alarms/index.js';
import { mintToken } from '../src/auth/index.js';
import { closeBillingPeriod } from '../src/billing/index.js';
import { ControlPlane } from '../src/control/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { type EvRuntime, evConfigSchema, startEv } from '../src/ev/index.js';
import { requireAuth } from '../src/http/auth.js';
import { onError } from '../src/http/errors.js';
import { createApp } from '../src/http/index.js';
import { openApiApp } from '../src/http/openapi-app.js';
import { POLICY_EXTENSION, policyRoute } from '../src/http/route-policy.js';
import { TelemetryIngest } from '../src/ingest/index.js';
import { seedAConfigSchema } from '../src/legacy/index.js';
import { createCentralMetrics } from '../src/metrics/index.js';
import { aedesLink, TopicRouter } from '../src/mqtt-router/index.js';
import type { Database } from '../src/storage/index.js';
import { seedNetwork } from './ev-reservations-fixture.js';
import { CPF_A, CPF_B } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';
import { describeEachStore } from './helpers/stores.js';

type Doc = { paths: Record<string, Record<string, Record<string, unknown>>> };
type Policy =
  | { public: true; reason: string }
  | { resource: string; action: string; roles: Record<string, string> };
interface Operation {
  method: string;
  path: string;
  policy: Policy | undefined;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Every operation of an OpenAPI document with the policy it declares (or none). */
function operationsOf(doc: Doc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({
        method,
        path,
        policy: op[POLICY_EXTENSION] as Policy | undefined,
      })),
  );
}

/** Operations without an explicit, well-formed policy that agrees with the access table. */
function policyGaps(doc: Doc): string[] {
  const gaps: string[] = [];
  for (const { method, path, policy } of operationsOf(doc)) {
    const name = `${method.toUpperCase()} ${path}`;
    if (policy === undefined) gaps.push(`${name}: no ${POLICY_EXTENSION}`);
    else if ('public' in policy) {
      if (policy.public !== true || !policy.reason) gaps.push(`${name}: public without a reason`);
    } else if (
      !(resources as readonly string[]).includes(policy.resource) ||
      !(actions as readonly string[]).includes(policy.action)
    )
      gaps.push(`${name}: unknown resource or action ${policy.resource}/${policy.action}`);
    else if (
      JSON.stringify(policy.roles) !==
      JSON.stringify(grantsFor(policy.resource as never, policy.action as never))
    )
      gaps.push(`${name}: roles disagree with the access table`);
    else if (Object.keys(policy.roles).length === 0) gaps.push(`${name}: no role may call it`);
  }
  return gaps;
}

const NOW = Date.parse('2024-02-20T12:00:00Z');
/** The control plane's topics: a command or desired config the walk must never send. */
const COMMAND_TOPIC = /^gl\/v1\/edges\/[^/]+\/(commands|config)$/;

/**
 * The roles walked, those with `own` grants first: they ask about another's object before staff
 * (with `all`) may have deleted or revoked it, so their 404 is the ownership check's.
 */
const WALK_ROLES = ['customer', 'driver', 'admin', 'operator', 'service'] as const satisfies Role[];
/** Path parameters that name an object someone owns: an `own` grant sees 404 for another's. */
const OWNED_PARAMS = /\{(id|meterId|tokenId|plate)\}/;
/**
 * Where an `own` grant on another's object answers other than 404: the {id} of a remote stop
 * names a point, which is nobody's; a driver with no session of its own open there is refused
 * with 409 (docs/EV.md, "Remote start and stop"; another driver's session: ev-sessions-http).
 */
const OWN_ANSWER: Record<string, number> = { 'POST /api/v1/points/{id}/stop': 409 };

interface WalkFixture {
  request: (path: string, init: RequestInit) => Response | Promise<Response>;
  /** A fresh token per request: sign-out and revocations in the walk cannot spoil the next one. */
  tokenFor: (role: (typeof WALK_ROLES)[number]) => Promise<string>;
  fill: (path: string) => string;
  /**
   * A valid body for an operation (`POST /path/{id}/…`) walked with an `own` grant on another's
   * object: validation of a missing body must not hide the ownership check (404). Every other
   * request goes without a body.
   */
  bodyFor?: (operation: string) => unknown;
}

/**
 * For each operation and each role (and no token at all), the status the policy says: 401
 * without a token, 403 for a role the table grants nothing, 404 for an `own` grant on another
 * customer's object; otherwise anything but 401, 403 and 500. Never 500, never 2xx where denied.
 */
async function walk(doc: Doc, fx: WalkFixture): Promise<{ failures: string[]; requests: number }> {
  const failures: string[] = [];
  let requests = 0;
  // Deletions last: every other operation finds the objects (bob's car, a token) still there.
  const ordered = [...operationsOf(doc)].sort(
    (a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'),
  );
  for (const { method, path, policy } of ordered) {
    const url = fx.fill(path);
    const name = `${method.toUpperCase()} ${path}`;
    const ask = async (token: string | undefined, body?: unknown) => {
      requests += 1;
      const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fx.request(url, {
        method: method.toUpperCase(),
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let code: unknown;
      try {
        code = JSON.parse(text)?.error?.code;
      } catch {}
      return { status: res.status, code };
    };
    const expectIt = (who: string, got: { status: number; code: unknown }, want: number) => {
      if (got.status !== want)
        failures.push(`${name} as ${who}: ${got.status}, policy says ${want}`);
    };
    const isPublic = policy !== undefined && 'public' in policy;
    const anonymous = await ask(undefined);
    if (isPublic) {
      if ([401, 403, 500].includes(anonymous.status))
        failures.push(`${name} (public) without a token: ${anonymous.status}`);
    } else expectIt('nobody', anonymous, 401);
    if (isPublic) continue;
    for (const role of WALK_ROLES) {
      const grant = policy?.roles[role] ?? 'none';
      const owned = grant === 'own' && OWNED_PARAMS.test(path);
      const got = await ask(await fx.tokenFor(role), owned ? fx.bodyFor?.(name) : undefined);
      if (grant === 'none') expectIt(role, got, 403);
      else if (owned) expectIt(role, got, OWN_ANSWER[name] ?? 404);
      else if ([401, 403, 500].includes(got.status))
        failures.push(`${name} as ${role} (${grant}): ${got.status}`);
      if (got.status === 403 && got.code !== 'GL_FORBIDDEN')
        failures.push(`${name} as ${role}: 403 with ${String(got.code)}`);
    }
  }
  return { failures, requests };
}

describeEachStore('OpenAPI policy walk', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let app: ReturnType<typeof createApp>;
  let ev: EvRuntime;
  let broker: Aedes;
  /** Every topic published on the broker after the central started (the walk's requests). */
  const published: string[] = [];
  let doc: Doc;
  const ids = { ana: 0, bia: 0, biaMeter: 0, biaInvoice: 0, biaAlarm: 0, biaToken: '' };
  /** The walked driver (ana) and what another driver (bob) owns: the walk asks for bob's. */
  const evIds = { ana: 0, bob: 0, bobBooking: 0, bobWatch: 0, station: 0, point: 0 };

  beforeAll(async () => {
    database = await store.open();
    const db = database.db;
    const logger = pino({ level: 'silent' });
    const now = () => new Date(NOW);
    // A real in-process broker under the whole central: the EV modules publish retained
    // availability as they start; what the walk's requests publish is recorded and checked.
    broker = await Aedes.createBroker();
    broker.on('publish', (packet) => {
      if (!packet.topic.startsWith('$SYS/')) published.push(packet.topic);
    });
    const metrics = createCentralMetrics();
    const router = new TopicRouter({
      link: aedesLink(broker),
      logger,
      unrouted: metrics.mqttUnrouted,
    });
    const ingest = new TelemetryIngest({
      db,
      link: router.link,
      logger,
      metrics,
      maxPayloadBytes: 1 << 20,
    });
    const control = new ControlPlane({ db, link: router.link, logger, now });
    ev = await startEv({
      db,
      router,
      link: router.link,
      control,
      ingest,
      logger,
      clock: new FakeClock(NOW),
      config: evConfigSchema.parse({}),
      timeZone: 'America/Bahia',
    });
    await router.start();
    app = createApp({
      db,
      logger,
      metrics: metrics.registry,
      now,
      control,
      ev,
      // Seed A's face with its policies (anonymous off: its routes are walked like /api/v1's).
      seedA: seedAConfigSchema.parse({ enabled: true }),
    });
    const meters = await readingFeeder(
      db,
      'edge-w',
    )([
      { deviceId: 'm1', at: '2024-01-01T03:00:00Z', values: { energy_import: 10 } },
      { deviceId: 'm2', at: '2024-01-01T03:00:00Z', values: { energy_import: 10 } },
      { deviceId: 'm2', at: '2024-02-01T03:00:00Z', values: { energy_import: 70 } },
    ]);
    const tariff = { id: 'flat', energy: { model: 'flat' as const, pricePerKwh: '0.50' } };
    const ana = await createCustomer(db, { document: CPF_A, name: 'Ana', tariff });
    const bia = await createCustomer(db, { document: CPF_B, name: 'Bia', tariff });
    await bindMeter(db, ana.id, { meterId: meters.get('m1') as number });
    await bindMeter(db, bia.id, { meterId: meters.get('m2') as number });
    const closed = await closeBillingPeriod(db, {
      period: '2024-01',
      now: new Date(NOW),
    });
    const { alarm } = await raiseAlarm(
      db,
      {
        source: 'meter:bia',
        type: 'meter.tamper',
        severity: 'CRITICAL',
        customerId: bia.id,
        details: {},
      },
      new Date(NOW),
    );
    const biaToken = await mintToken(db, { role: 'customer', subject: String(bia.id) });
    Object.assign(ids, {
      ana: ana.id,
      bia: bia.id,
      biaMeter: meters.get('m2'),
      biaInvoice: closed.issued.find((id) => id !== undefined),
      biaAlarm: alarm.id,
      biaToken: /^glt_([a-f0-9]{16})_/.exec(biaToken)?.[1],
    });
    const invoices = await db.selectFrom('invoices').select(['id', 'customer_id']).execute();
    ids.biaInvoice = invoices.find((i) => i.customer_id === bia.id)?.id ?? 0;
    // The EV side: company feira, a station with two points, drivers ana (ABC1D23, the walked
    // driver) and bob (XYZ9A87) with bob's booking and watch.
    const net = await seedNetwork(database, 2);
    const [anaDriver, bob] = net.drivers as [number, number];
    const bobActs = { kind: 'driver', driverId: bob, label: `driver:${bob}` } as const;
    const booking = await ev.reservations.book(
      {
        pointId: net.pointIds[0] as number,
        driverId: bob,
        plate: 'XYZ9A87',
        start: new Date(NOW + 3_600_000),
        end: new Date(NOW + 7_200_000),
      },
      bobActs,
    );
    const watch = await ev.watches.create({ pointId: net.pointIds[1] as number }, bobActs);
    Object.assign(evIds, {
      ana: anaDriver,
      bob,
      bobBooking: booking.id,
      bobWatch: watch.id,
      station: net.stationId,
      point: net.pointIds[0],
    });
    doc = (await (await app.request('/openapi.json')).json()) as Doc;
  });
  afterAll(async () => {
    await ev?.close();
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
    await database?.dispose();
  });

  const fixture = (): WalkFixture => ({
    request: (path, init) => app.request(path, init),
    bodyFor: (operation) =>
      ({
        'POST /api/v1/reservations/{id}/cancel': { reason: 'USER' },
        // Bob's car: another's car is 404 to ana, and no command is sent.
        'POST /api/v1/points/{id}/start': { plate: 'XYZ9A87' },
      })[operation],
    tokenFor: (role) =>
      mintToken(database.db, {
        role,
        subject:
          role === 'customer' ? String(ids.ana) : role === 'driver' ? String(evIds.ana) : null,
      }),
    fill: (path) => {
      const prefix = path.split('/').slice(0, 4).join('/');
      const id: Record<string, number> = {
        '/api/v1/customers': ids.bia,
        '/api/v1/meters': ids.biaMeter,
        '/api/v1/invoices': ids.biaInvoice,
        '/api/v1/alarms': ids.biaAlarm,
        // Any id: webhooks are staff-only (`all`), an absent one is a 404.
        '/api/v1/webhooks': 1,
        // The network is read by all who may read it (`all`).
        '/api/v1/stations': evIds.station,
        '/api/v1/points': evIds.point,
        // Bob and what he owns: ana (the walked driver) sees none of it (404).
        '/api/v1/drivers': evIds.bob,
        '/api/v1/reservations': evIds.bobBooking,
        '/api/v1/availability-watches': evIds.bobWatch,
        // Any id: a walked driver owns no trip or session (404); staff see an absent one (404).
        '/api/v1/trips': 1,
        '/api/v1/sessions': 1,
      };
      const values: Record<string, string> = {
        meterId: String(ids.biaMeter),
        edgeId: 'edge-w',
        deviceId: 'm2',
        commandId: '7a0c3f5e-8a4b-4c1d-9e2f-0b1c2d3e4f50',
        tokenId: ids.biaToken,
        kind: 'car',
        name: 'ABC1D23',
        key: 'udp-meter:52998224725:9',
        companyId: 'feira',
        connectorNo: '1',
        // Bob's car.
        plate: 'XYZ9A87',
      };
      return path.replace(/\{(\w+)\}/g, (_, p: string) => {
        const v = p === 'id' ? id[prefix] : values[p];
        if (v === undefined || v === 0)
          throw new Error(`the walk has no value for {${p}} of ${path}`);
        return String(v);
      });
    },
  });

  it('the fixtures exist: another customer owns the meter, invoice and alarm, another driver the car, booking and watch the walk asks for', () => {
    expect(ids.biaInvoice).toBeGreaterThan(0);
    expect(evIds.bobBooking).toBeGreaterThan(0);
    expect(evIds.bobWatch).toBeGreaterThan(0);
    expect(evIds.ana).not.toBe(evIds.bob);
    expect(ids.biaAlarm).toBeGreaterThan(0);
    expect(ids.biaToken).toMatch(/^[a-f0-9]{16}$/);
  });

  it('every operation of /openapi.json declares a policy that agrees with the access table', () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(30);
    // The control plane, the EV runtime's routes and seed A's face are all mounted and walked.
    expect(ops.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining([
        'post /api/v1/edges/{edgeId}/devices/{deviceId}/commands',
        'get /api/v1/points/{id}/live',
        'post /api/v1/reservations/{id}/cancel',
        'get /api/v1/points/{id}/free-slots',
        'post /api/v1/points/{id}/start',
        'get /api/v1/sessions/{id}/receipt',
        'post /api/v1/trips/plan',
        'delete /api/v1/availability-watches/{id}',
        'get /pontos',
        'post /reservas',
      ]),
    );
    expect(policyGaps(doc)).toEqual([]);
  });

  it('each role gets 401/403/404 exactly where the policy says, never 500', async () => {
    const { failures, requests } = await walk(doc, fixture());
    expect(failures).toEqual([]);
    expect(published.filter((t) => COMMAND_TOPIC.test(t))).toEqual([]);
    // A public operation (customer and driver sign-in, the public availability page) is asked
    // once, without a token.
    const publicOps = operationsOf(doc)
      .filter((o) => o.policy && 'public' in o.policy)
      .map((o) => `${o.method} ${o.path}`);
    // Seed A's face is walked with anonymous off: its routes are not public.
    expect(publicOps).toEqual([
      'post /api/v1/auth/driver-login',
      'post /api/v1/auth/login',
      'get /api/v1/public/companies/{companyId}/availability',
    ]);
    expect(requests).toBe(
      operationsOf(doc).length * (WALK_ROLES.length + 1) - publicOps.length * WALK_ROLES.length,
    );
  });

  it('catches a route without a policy, and a policy that is documented but not enforced', async () => {
    const fx = openApiApp();
    fx.onError(onError(pino({ level: 'silent' })));
    fx.use(
      '*',
      requireAuth(database.db, () => new Date()),
    );
    const ok = z.object({ ok: z.boolean() });
    const responses = {
      200: { description: 'ok', content: { 'application/json': { schema: ok } } },
    };
    fx.openapi(
      policyRoute({
        method: 'get',
        path: '/guarded',
        policy: { resource: 'edge', action: 'list' },
        responses,
      }),
      (c) => c.json({ ok: true }, 200),
    );
    // A renamed or new route that forgot its policy: plain createRoute.
    fx.openapi(createRoute({ method: 'get', path: '/bare', responses }), (c) =>
      c.json({ ok: true }, 200),
    );
    // A policy written into the document by hand, with no middleware behind it.
    fx.openapi(
      createRoute({
        method: 'get',
        path: '/claimed',
        responses,
        [POLICY_EXTENSION]: { resource: 'edge', action: 'list', roles: grantsFor('edge', 'list') },
      }),
      (c) => c.json({ ok: true }, 200),
    );
    const fxDoc = fx.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: 'fixture', version: '0' },
    }) as unknown as Doc;
    expect(policyGaps(fxDoc)).toEqual([`GET /bare: no ${POLICY_EXTENSION}`]);
    const { failures } = await walk(fxDoc, { ...fixture(), request: (p, i) => fx.request(p, i) });
    expect(failures).toEqual(
      expect.arrayContaining([
        'GET /claimed as customer: 200, policy says 403',
        'GET /claimed as driver: 200, policy says 403',
        'GET /claimed as service: 200, policy says 403',
      ]),
    );
    expect(failures.filter((f) => f.startsWith('GET /guarded'))).toEqual([]);
  });
});
