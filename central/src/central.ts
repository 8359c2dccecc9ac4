import { randomBytes } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import {
  allEdgesFilter,
  type Bound,
  type ClockAndTimers,
  listen,
  systemClock,
} from '@gridlink/shared';
import { createAdaptorServer } from '@hono/node-server';
import mqtt, { type MqttClient } from 'mqtt';
import { type Logger, pino } from 'pino';
import { alarmRules, mqttAlarmPublisher } from './alarms/index.js';
import { hashSecret, LoginThrottle } from './auth/index.js';
import type { PixSettings } from './billing/index.js';
import {
  anonymousStations,
  type EmbeddedBroker,
  mqttAuthenticator,
  startEmbeddedBroker,
} from './broker/index.js';
import { type CentralConfig, type CentralConfigInput, parseCentralConfig } from './config/index.js';
import { CONTROL_FILTERS, ControlPlane, commandExpiryJob } from './control/index.js';
import { edgeStatusHandler, verifyEdgeCredential } from './edges/index.js';
import { type EvRuntime, startEv } from './ev/index.js';
import {
  type CoordinatorFaults,
  createParticipant,
  type FederationCoordinatorRuntime,
  localParticipant,
  startFederationCoordinator,
  tripFederation,
} from './federation/index.js';
import { createApp, gracefulClose } from './http/index.js';
import { gapWaitMsOf, TelemetryIngest } from './ingest/index.js';
import { type Scheduler, startJobs } from './jobs/index.js';
import {
  ManualReadings,
  SeedBResponder,
  type SeedCServer,
  type SeedDTerminal,
  startSeedC,
  startSeedDTerminal,
} from './legacy/index.js';
import { partitionsJob, retentionJob } from './lifecycle/index.js';
import { setMeteringSettings } from './metering/index.js';
import { createCentralMetrics } from './metrics/index.js';
import { aedesLink, type BrokerLink, clientLink, TopicRouter } from './mqtt-router/index.js';
import { WebhookDispatcher, webhookAlarmPublisher } from './notifications/index.js';
import { type Database, openDatabase } from './storage/index.js';

export interface Central {
  readonly config: CentralConfig;
  readonly database: Database;
  readonly http: Bound & { url: string };
  /** Where edges connect: the embedded broker, or the external one. */
  readonly mqttUrl: string;
  readonly broker?: EmbeddedBroker;
  readonly ingest: TelemetryIngest;
  /** The one owner of the central's MQTT subscriptions: `router.register(filter, handler)`. */
  readonly router: TopicRouter;
  /** Device commands and desired configs (control/). */
  readonly control: ControlPlane;
  /** Interfaces of the replaced systems on their own ports (config `legacy`), when enabled. */
  readonly legacy: { seedD?: SeedDTerminal; seedB?: SeedBResponder; seedC?: SeedCServer };
  /** The EV charging half (ev/): network, live chargers, cars, reservations, sessions. */
  readonly ev: EvRuntime;
  /** The federation coordinator (docs/FEDERATION.md), when `federation` names peers. */
  readonly federationCoordinator: FederationCoordinatorRuntime | null;
  readonly logger: Logger;
  /** True from the first moment of close(): /readyz answers 503 `draining`. */
  readonly draining: boolean;
  /**
   * Stops gracefully (docs/SCALE-OUT.md, "Drain"): /readyz turns 503 at once, the MQTT
   * subscriptions end so the broker gives new messages to the other centrals (what was already
   * routed here is handled), in-progress HTTP requests finish (bounded by http.drainTimeoutMs),
   * jobs finish or hand their lease back, then everything stops in reverse start order.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /**
   * Decorators of the ports the central builds, applied once before anything uses them: the
   * extension point for instrumentation and for test harnesses that inject faults (the
   * store-and-forward fault tests wrap `brokerLink` to die between a commit and its ack,
   * docs/STORE-AND-FORWARD.md). Absent: the ports as built.
   */
  decorate?: StartDecorators;
  /**
   * The central's clock and timers (shared `ClockAndTimers`): the ingest's reading window, edge
   * status times, the broker's connection-rate buckets, sessions, login throttling, command and
   * config times. Default the system clock. Cron jobs take their instant from `scheduler`.
   */
  clock?: ClockAndTimers;
  /** Invoice Pix merchant settings and payment terms; without `pix`, invoices have no Pix code. */
  billing?: { pix?: PixSettings; dueDays?: number; cron?: string };
  /** Where cron jobs are scheduled (default: cron on `clock`, docs/JOBS.md); `false` starts no jobs. */
  scheduler?: Scheduler | false;
  /**
   * Test-only: where the federation coordinator stops itself (docs/FEDERATION.md, "Test-only
   * fault hook"); set by the CLI from GRIDLINK_FEDERATION_FAULT, by nothing else.
   */
  federationFaults?: CoordinatorFaults;
}

export interface StartDecorators {
  /**
   * The link every MQTT subscription and publication of the central goes through (the topic
   * router's; the ingest publishes its acks on it only after the batch's commit).
   */
  brokerLink?: (link: BrokerLink) => BrokerLink;
}

const SERVICE_USER = 'gridlink-central';

/** Starts storage, broker, ingest and HTTP in that order; close() stops them in reverse. */
export async function startCentral(
  input: CentralConfigInput,
  options: StartOptions = {},
): Promise<Central> {
  const config = parseCentralConfig(input);
  const clock = options.clock ?? systemClock;
  const nowDate = () => new Date(clock.now());
  const billing = options.billing ?? config.billing;
  const logger = options.logger ?? pino({ level: config.log.level, base: { svc: 'central' } });
  const cleanup: Array<() => Promise<void>> = [];
  /** Steps that run first on close, in order, before the reverse-order cleanup. */
  const drain: Array<() => Promise<void>> = [];
  let draining = false;
  const close = async () => {
    draining = true;
    for (const step of drain.splice(0))
      await step().catch((err) => logger.error({ err }, 'drain step failed'));
    for (const step of cleanup.reverse())
      await step().catch((err) => logger.error({ err }, 'shutdown step failed'));
    cleanup.length = 0;
  };
  try {
    const database = await openDatabase(
      config.databaseUrl
        ? { kind: 'postgres', url: config.databaseUrl }
        : { kind: 'pglite', dataDir: join(config.dataDir, 'db') },
    );
    cleanup.push(() => database.close());
    // Every rollup (job, sweep, billing; every instance) reads these from the database.
    await setMeteringSettings(database.db, {
      intervalGapMs: config.metering.intervalGapSeconds * 1000,
      excessReadingKwh: config.alarms.excess.singleReadingKwh,
    });
    const metrics = createCentralMetrics();

    let broker: EmbeddedBroker | undefined;
    let mqttUrl: string;
    let service: { username: string; password: string };
    if (config.mqtt.mode === 'embedded') {
      // The central's own MQTT identity lives only in this process's memory.
      const serviceSecret = randomBytes(32).toString('base64url');
      const serviceHash = hashSecret(serviceSecret);
      const authenticate = mqttAuthenticator({
        db: database.db,
        service: { username: SERVICE_USER, secretHash: serviceHash, name: 'central' },
        verifyEdge: (edgeId, secret) => verifyEdgeCredential(database.db, edgeId, secret),
      });
      broker = await startEmbeddedBroker({
        port: config.mqtt.port,
        host: config.mqtt.host,
        fallback: config.mqtt.portFallback,
        authenticate,
        // Seed B's station clients connect without credentials where the operator allows it.
        ...(config.legacy.seedB.enabled && config.legacy.seedB.anonymous
          ? { anonymous: anonymousStations(database.db) }
          : {}),
        maxPayloadBytes: config.ingest.maxPayloadBytes * 2,
        limits: config.mqtt.limits,
        clock,
        metrics,
        logger: logger.child({ component: 'broker' }),
      });
      cleanup.push(() => (broker as EmbeddedBroker).close());
      mqttUrl = broker.url;
      service = { username: SERVICE_USER, password: serviceSecret };
    } else {
      mqttUrl = config.mqtt.url;
      service = { username: config.mqtt.username, password: config.mqtt.password };
    }

    const client: MqttClient = await mqtt.connectAsync(mqttUrl, {
      ...service,
      clientId: `central-${randomBytes(6).toString('hex')}`,
      clean: true,
      reconnectPeriod: 1000,
    });
    cleanup.push(() => client.endAsync());

    // In-process on the embedded broker; through the client on an external one.
    const link = broker
      ? aedesLink(broker.aedes)
      : clientLink(
          client,
          config.mqtt.mode === 'external' && config.mqtt.shareGroup
            ? `$share/${config.mqtt.shareGroup}/`
            : '',
        );
    const router = new TopicRouter({
      link: options.decorate?.brokerLink?.(link) ?? link,
      logger: logger.child({ component: 'mqtt-router' }),
      unrouted: metrics.mqttUnrouted,
    });
    const ingest = new TelemetryIngest({
      db: database.db,
      copyTransaction: database.copyTransaction,
      link: router.link,
      logger: logger.child({ component: 'ingest' }),
      metrics,
      maxPayloadBytes: config.ingest.maxPayloadBytes,
      // With a shared subscription, another instance may hold a batch's predecessor.
      gapWaitMs: gapWaitMsOf(config),
      timers: clock,
      readingWindow: {
        notBeforeMs: Date.parse(config.ingest.readingWindow.notBefore),
        maxFutureSkewMs: config.ingest.readingWindow.maxFutureSkewMs,
      },
      clock,
    });
    await ingest.start();
    cleanup.push(() => ingest.stop());
    await router.register(allEdgesFilter('telemetry'), ingest.onTelemetry);
    await router.register(
      allEdgesFilter('status'),
      edgeStatusHandler({
        db: database.db,
        logger: logger.child({ component: 'edges' }),
        rejected: metrics.ingestRejected,
        maxPayloadBytes: config.ingest.maxPayloadBytes,
        inOrder: (edgeId, task) => ingest.inOrder(edgeId, task),
        now: () => clock.now(),
      }),
    );
    await router.start();
    // The first thing close() does: no new MQTT work, whatever was routed here handled. Bounded:
    // a broker that is gone cannot hold the stop.
    drain.push(() =>
      withinBound(router.drain(), config.http.drainTimeoutMs, () =>
        logger.warn(
          { boundMs: config.http.drainTimeoutMs },
          'MQTT drain did not finish in time; stopping anyway',
        ),
      ),
    );
    // Stopped before the ingest (cleanup runs in reverse): nothing new arrives while it drains.
    cleanup.push(() => router.stop());

    const control = new ControlPlane({
      db: database.db,
      link: router.link,
      logger: logger.child({ component: 'control' }),
      now: nowDate,
    });
    for (const filter of CONTROL_FILTERS) await router.register(filter, control.take);
    await control.start();
    cleanup.push(() => control.stop());

    const ev = await startEv({
      db: database.db,
      router,
      link: router.link,
      control,
      ingest,
      logger: logger.child({ component: 'ev' }),
      clock,
      config: config.ev,
      timeZone: config.timeZone,
      ...(billing.pix ? { pix: billing.pix } : {}),
    });
    cleanup.push(() => ev.close());

    // Alarm webhooks (docs/ALARMS.md, "Notifications"): queued in the database, sent signed.
    const webhooks = new WebhookDispatcher({
      db: database.db,
      clock,
      logger: logger.child({ component: 'webhooks' }),
      settings: config.notifications.webhooks,
    });
    webhooks.start();
    cleanup.push(() => webhooks.stop());
    const alarmPublisher = webhookAlarmPublisher({
      db: database.db,
      inner: mqttAlarmPublisher(client),
      now: nowDate,
      notify: () => webhooks.notify(),
      logger: logger.child({ component: 'webhooks' }),
    });
    // Federation, the participant's side (docs/FEDERATION.md): peers try/confirm/cancel here.
    const federationParticipant = createParticipant({
      db: database.db,
      clock,
      reservations: ev.reservations,
      config: config.federation,
      defaultPointPowerKw: config.ev.trips.defaultPointPowerKw,
      logger: logger.child({ component: 'federation' }),
    });
    // Asks coordinators before our holds lapse (with peers only); stopped before the database.
    federationParticipant.start();
    cleanup.push(() => federationParticipant.close());
    // The coordinator of our trips' bookings across peers, when peers are configured: our own
    // stops go through the participant above; trips plan over the peers' catalogs through it.
    const federationCoordinator = await startFederationCoordinator({
      db: database.db,
      clock,
      logger,
      config: config.federation,
      local: localParticipant(federationParticipant.participant),
      onSettled: (tx) => ev.trips.settle(tx),
      ...(options.federationFaults ? { faults: options.federationFaults } : {}),
    });
    if (federationCoordinator) {
      cleanup.push(() => federationCoordinator.close());
      ev.trips.useFederation(tripFederation(federationCoordinator));
    }
    const app = createApp({
      db: database.db,
      logger: logger.child({ component: 'http' }),
      metrics: metrics.registry,
      ready: () => client.connected,
      draining: () => draining,
      maxBodyBytes: config.http.maxBodyBytes,
      trustedProxies: config.http.trustedProxies,
      loginThrottle: config.http.loginThrottle,
      billing,
      alarmPublisher,
      webhookTargets: config.notifications.webhooks,
      control,
      ev,
      federationParticipant,
      ...(federationCoordinator ? { federationCoordinator } : {}),
      seedA: config.legacy.seedA,
      now: nowDate,
      timeZone: config.timeZone,
    });
    const server = createAdaptorServer({ fetch: app.fetch }) as HttpServer;
    const closeServer = gracefulClose(server);
    const bound = await listen(server, {
      port: config.http.port,
      host: config.http.host,
      fallback: config.http.portFallback,
    });
    // In-progress requests are answered (a load balancer stopped sending new ones when /readyz
    // turned 503); after http.drainTimeoutMs the rest are cut.
    cleanup.push(() => closeServer(config.http.drainTimeoutMs));
    if (options.scheduler !== false) {
      const jobs = startJobs({
        db: database.db,
        logger: logger.child({ component: 'jobs' }),
        scheduler: options.scheduler,
        clock,
        timeZone: config.timeZone,
        billing: { ...billing, cron: billing.cron ?? config.jobs.billingClose.cron },
        rollup: { cron: config.jobs.rollup.cron },
        alarms: {
          publisher: alarmPublisher,
          rules: alarmRules(config.alarms),
          cron: config.jobs.alarmSweep.cron,
        },
        prune: config.jobs.prune,
        runtime: config.jobs,
        extra: [
          commandExpiryJob(database.db, config.control.commandTimeoutMs),
          retentionJob(database.db, config.retention),
          partitionsJob(database.db, config.retention.partitions),
        ],
      });
      // Runs before the database closes (cleanup is reversed): a running job finishes or, after
      // jobs.stopTimeoutMs, stops at a safe point and hands its lease back (docs/JOBS.md).
      cleanup.push(() => jobs.stop());
    }
    const legacy: { seedD?: SeedDTerminal; seedB?: SeedBResponder; seedC?: SeedCServer } = {};
    const seedD = config.legacy.seedD;
    if (seedD.enabled) {
      const terminal = await startSeedDTerminal({
        host: seedD.host,
        port: seedD.port,
        portFallback: seedD.portFallback,
        maxBodyBytes: seedD.maxBodyBytes,
        logger: logger.child({ component: 'seed-d-terminal' }),
        terminal: {
          db: database.db,
          control,
          manual: new ManualReadings(database.db),
          now: nowDate,
          edgeId: seedD.edgeId,
          pricePerKwh: seedD.pricePerKwh,
          excessKwh: seedD.excessKwh,
          timeZone: config.timeZone,
          readingWindow: {
            notBeforeMs: Date.parse(config.ingest.readingWindow.notBefore),
            maxFutureSkewMs: config.ingest.readingWindow.maxFutureSkewMs,
          },
        },
        auth: {
          db: database.db,
          throttle: new LoginThrottle(database.db, config.http.loginThrottle),
          anonymous: seedD.anonymous,
          now: nowDate,
        },
      });
      cleanup.push(() => terminal.close());
      legacy.seedD = terminal;
    }
    if (config.legacy.seedB.enabled) {
      const seedB = await SeedBResponder.start({
        db: database.db,
        router,
        link: router.link,
        reservations: ev.reservations,
        clock,
        logger: logger.child({ component: 'seed-b' }),
        config: config.legacy.seedB,
      });
      cleanup.push(() => seedB.close());
      legacy.seedB = seedB;
    }
    if (config.legacy.seedC.enabled) {
      const seedC = await startSeedC({
        db: database.db,
        ev,
        evConfig: config.ev,
        config: config.legacy.seedC,
        clock,
        logger: logger.child({ component: 'seed-c' }),
      });
      cleanup.push(() => seedC.close());
      legacy.seedC = seedC;
    }
    const http = { ...bound, url: `http://${bound.host}:${bound.port}` };
    logger.info({ http: http.url, mqtt: mqttUrl, storage: database.kind }, 'central ready');
    return {
      config,
      database,
      http,
      mqttUrl,
      broker,
      ingest,
      router,
      control,
      legacy,
      ev,
      federationCoordinator,
      logger,
      get draining() {
        return draining;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Resolves when `work` does or after `boundMs`, whichever is first (`late` runs on the bound). */
async function withinBound(work: Promise<void>, boundMs: number, late: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), boundMs);
  });
  try {
    if ((await Promise.race([work.then(() => 'done' as const), bound])) === 'late') late();
  } finally {
    clearTimeout(timer);
  }
}
