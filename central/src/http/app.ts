import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AlarmPublisher } from '../alarms/index.js';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, type LoginThrottlePolicy } from '../auth/index.js';
import type { PixSettings } from '../billing/index.js';
import type { ControlPlane } from '../control/index.js';
import type { EvRuntime } from '../ev/index.js';
import type { FederationCoordinatorRuntime, ParticipantRuntime } from '../federation/index.js';
import type { SeedAConfig } from '../legacy/index.js';
import { httpRequestHistogram } from '../metrics/index.js';
import type { TargetPolicy } from '../notifications/index.js';
import type { Schema } from '../storage/index.js';
import { accessLog } from './access-log.js';
import { requireAuth, requireRole } from './auth.js';
import { docsRoutes } from './docs.js';
import { errorBody, onError } from './errors.js';
import { jsonBody, storableUrl } from './json-body.js';
import { loginMetrics } from './login-metrics.js';
import { openApiApp } from './openapi-app.js';
import { alarmRoutes } from './routes/alarms.js';
import { authRoutes } from './routes/auth.js';
import { carRoutes } from './routes/cars.js';
import { companyRoutes } from './routes/companies.js';
import { customerRoutes } from './routes/customers.js';
import { driverAuthRoutes, driverRoutes } from './routes/drivers.js';
import { edgeRoutes } from './routes/edges.js';
import { federationCoordinatorRoutes } from './routes/federation-coordinator.js';
import { federationParticipantRoutes } from './routes/federation-participant.js';
import { billingRoutes, invoiceRoutes } from './routes/invoices.js';
import { meterRoutes } from './routes/meters.js';
import { mqttCredentialRoutes } from './routes/mqtt-credentials.js';
import { pointLiveRoutes } from './routes/point-live.js';
import { pointRoutes } from './routes/points.js';
import { publicRoutes } from './routes/public-availability.js';
import { freeSlotRoutes, reservationRoutes } from './routes/reservations.js';
import { seedARoutes } from './routes/seed-a.js';
import { pointSessionRoutes, sessionRoutes } from './routes/sessions.js';
import { stationRoutes } from './routes/stations.js';
import { tokenRoutes } from './routes/tokens.js';
import { tripRoutes, watchRoutes } from './routes/trips.js';
import { webhookRoutes } from './routes/webhooks.js';
import { securityHeaders } from './security-headers.js';
import { uiRoutes } from './ui-static.js';

export interface AppDeps {
  db: Kysely<Schema>;
  logger: Logger;
  metrics: Registry;
  /** Readiness beyond the database, e.g. the MQTT link. */
  ready?: () => boolean;
  /** True once a graceful stop began: /readyz answers 503 `draining` (docs/SCALE-OUT.md). */
  draining?: () => boolean;
  maxBodyBytes?: number;
  version?: string;
  /** The clock for sessions, history periods and billing; default: the system clock. */
  now?: () => Date;
  /** New customers' zone, and history's for a meter without a customer; default America/Bahia. */
  timeZone?: string;
  /** Lifetime of a customer session token; default 12 h. */
  sessionTtlMs?: number;
  /** Pix merchant settings for invoices (none: invoices carry no Pix code) and payment terms. */
  billing?: { pix?: PixSettings; dueDays?: number };
  /** Where alarm transitions (ack/clear through the API) are published. */
  alarmPublisher?: AlarmPublisher;
  /** Sign-in backoff per account and per address; default DEFAULT_LOGIN_THROTTLE. */
  loginThrottle?: LoginThrottlePolicy;
  /**
   * Peers (reverse proxies) whose `X-Forwarded-For` names the client; default none: the header
   * is ignored and the socket's peer is the client.
   */
  trustedProxies?: readonly string[];
  /** Device commands and desired configs (control/); without it those routes are not mounted. */
  control?: ControlPlane;
  /** The EV half (ev/); its routes are mounted when given. */
  ev?: EvRuntime;
  /** Federation, the participant's side (docs/FEDERATION.md): `/api/v1/federation` routes. */
  federationParticipant?: ParticipantRuntime;
  /** Federation, the coordinator's side: `/api/v1/federation/transactions` (when peers exist). */
  federationCoordinator?: FederationCoordinatorRuntime;
  /** Seed A's REST face (`/status`, `/pontos`, `/reservas`), mounted when enabled and `ev` is given. */
  seedA?: SeedAConfig;
  /** Which webhook targets are refused (loopback, link-local); default all of those. */
  webhookTargets?: TargetPolicy;
  /** The built web UI (ui/dist); default the repo's, see ui-static.ts. */
  uiDir?: string;
}

/** The central's HTTP face: `/api/v1` (bearer auth), OpenAPI document and docs, health, metrics. */
export function createApp(deps: AppDeps) {
  const app = openApiApp();
  // First: the access log and request histogram see every answer, errors and 404s included.
  app.use(
    '*',
    accessLog({ logger: deps.logger, requestSeconds: httpRequestHistogram(deps.metrics) }),
  );
  app.use('*', securityHeaders());
  app.onError(onError(deps.logger));
  app.notFound((c) =>
    c.json(errorBody('GL_NOT_FOUND', `no route ${c.req.method} ${c.req.path}`), 404),
  );

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    // First: a load balancer must stop sending here even while everything still works.
    if (deps.draining?.()) return c.json({ status: 'unavailable', reason: 'draining' }, 503);
    try {
      await sql`SELECT 1`.execute(deps.db);
    } catch {
      return c.json({ status: 'unavailable', reason: 'database' }, 503);
    }
    if (deps.ready && !deps.ready()) return c.json({ status: 'unavailable', reason: 'mqtt' }, 503);
    return c.json({ status: 'ready' });
  });
  const now = deps.now ?? (() => new Date());
  app.get('/metrics', requireAuth(deps.db, now), requireRole('admin', 'operator'), async (c) =>
    c.body(await deps.metrics.metrics(), 200, { 'content-type': deps.metrics.contentType }),
  );

  // Mounted before the authenticated sub-app: sign-in is the one public /api/v1 route.
  // One throttle and one set of sign-in counters for customers and drivers alike.
  const signIn = {
    now,
    sessionTtlMs: deps.sessionTtlMs ?? 12 * 3_600_000,
    throttle: new LoginThrottle(deps.db, deps.loginThrottle ?? DEFAULT_LOGIN_THROTTLE),
    trustedProxies: new Set(deps.trustedProxies ?? []),
    metrics: loginMetrics(deps.metrics),
  };
  // Drivers sign in beside customers (docs/EV.md, "Cars"): mounted first (see driverAuthRoutes).
  app.route('/api/v1/auth', driverAuthRoutes(deps.db, signIn));
  app.route('/api/v1/auth', authRoutes(deps.db, signIn));
  // The public availability page's read (issue #20): no token, non-personal data only.
  app.route('/api/v1/public', publicRoutes(deps.db));

  const api = openApiApp();
  api.use('*', bodyLimit({ maxSize: deps.maxBodyBytes ?? 1024 * 1024 }));
  api.use('*', storableUrl());
  api.use('*', requireAuth(deps.db, now));
  api.use('*', jsonBody());
  // One sub-app per prefix, mounted once; every route in it declares its policy (route-policy.ts).
  api.route('/meters', meterRoutes(deps.db, { now, timeZone: deps.timeZone }));
  api.route('/edges', edgeRoutes(deps.db, { control: deps.control, now }));
  api.route('/customers', customerRoutes(deps.db, { now, timeZone: deps.timeZone }));
  api.route('/invoices', invoiceRoutes(deps.db));
  api.route('/billing', billingRoutes(deps.db, { now, ...deps.billing }));
  api.route('/alarms', alarmRoutes(deps.db, { now, publisher: deps.alarmPublisher }));
  api.route('/tokens', tokenRoutes(deps.db, { now }));
  api.route('/mqtt/credentials', mqttCredentialRoutes(deps.db, { now }));
  // The charging network (ev/network) needs only the database: mounted with or without ev.
  api.route('/companies', companyRoutes(deps.db, { now }));
  api.route('/stations', stationRoutes(deps.db, { now }));
  api.route('/points', pointRoutes(deps.db, { now }));
  // Drivers and cars need only the database: mounted with or without the EV runtime.
  api.route('/drivers', driverRoutes(deps.db, signIn));
  api.route('/cars', carRoutes(deps.db, { now }));
  if (deps.ev) {
    // Reservations (ev/reservations); free slots beside the network's /points routes.
    api.route('/reservations', reservationRoutes(deps.ev.reservations));
    api.route('/points', freeSlotRoutes(deps.ev.reservations, { now }));
  }
  // Live state, charger binding, maintenance, availability (ev/live): sub-paths of /points.
  if (deps.ev) api.route('/points', pointLiveRoutes(deps.ev.live));
  // Charging sessions and receipts (ev/sessions); remote start/stop as sub-paths of /points.
  if (deps.ev) {
    api.route('/sessions', sessionRoutes(deps.ev.sessions));
    api.route('/points', pointSessionRoutes(deps.ev.sessions));
  }
  // Trip planner and notify-when-free (ev/trips).
  if (deps.ev) {
    api.route('/trips', tripRoutes(deps.ev.trips));
    api.route('/availability-watches', watchRoutes(deps.ev.watches));
  }
  if (deps.federationParticipant)
    api.route(
      '/federation',
      federationParticipantRoutes(
        deps.federationParticipant,
        deps.logger.child({ component: 'federation' }),
      ),
    );
  // The coordinator's decision log, when peers are configured (docs/FEDERATION.md).
  if (deps.federationCoordinator)
    api.route('/federation', federationCoordinatorRoutes(deps.federationCoordinator));
  api.route(
    '/webhooks',
    webhookRoutes(deps.db, { now, targets: deps.webhookTargets ?? { allowLoopback: false } }),
  );
  app.route('/api/v1', api);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'glt_… token',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'GridLink central API',
      version: deps.version ?? '0.1.0',
      description: 'Errors are `{error:{code,message,details}}`; codes in docs/ERRORS.md.',
    },
  });
  app.route('/docs', docsRoutes());
  // Seed A's original paths at the root, before the UI's pages (docs/EV.md, "Seed A").
  if (deps.ev && deps.seedA?.enabled)
    app.route(
      '/',
      seedARoutes({
        db: deps.db,
        reservations: deps.ev.reservations,
        config: deps.seedA,
        now,
        trustedProxies: new Set(deps.trustedProxies ?? []),
        maxBodyBytes: deps.maxBodyBytes ?? 1024 * 1024,
      }),
    );
  // The web UI last: its page paths and /assets/ only (docs/UI.md).
  app.route('/', uiRoutes(deps.uiDir));
  return app;
}
