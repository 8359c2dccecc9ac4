import type { ClockAndTimers } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { PixSettings } from '../billing/index.js';
import type { ControlPlane } from '../control/index.js';
import type { TelemetryIngest } from '../ingest/index.js';
import type { BrokerLink, TopicRouter } from '../mqtt-router/index.js';
import type { Schema } from '../storage/index.js';
import { CarRegistry } from './cars/index.js';
import type { EvConfig } from './config.js';
import { EvEvents } from './events.js';
import { LiveChargers } from './live/index.js';
import { type ReservationEngine, startReservations } from './reservations/index.js';
import { ChargingSessions } from './sessions/index.js';
import { AvailabilityWatches, TripService } from './trips/index.js';

/** What the EV modules are started with (central.ts builds it once). */
export interface EvDeps {
  db: Kysely<Schema>;
  /** Register MQTT handlers here (`router.register(filter, handler)`). */
  router: TopicRouter;
  /** Publish through this (QoS 1, optional retain). */
  link: BrokerLink;
  control: ControlPlane;
  ingest: TelemetryIngest;
  logger: Logger;
  clock: ClockAndTimers;
  config: EvConfig;
  /** The central's default IANA time zone (stations have their own). */
  timeZone: string;
  /** The Pix receiver of session receipts (config `billing.pix`); none = no Pix code. */
  pix?: PixSettings;
}

/**
 * The EV half of a running central (docs/EV.md): the event bus and each module's runtime, for
 * the HTTP routes, the legacy faces and the tests. Each module adds its field here.
 */
export interface EvRuntime {
  readonly events: EvEvents;
  /** Chargers bound to points, their live state, maintenance, availability (ev/live). */
  readonly live: LiveChargers;
  /** Drivers' cars and their reports (ev/cars). */
  readonly cars: CarRegistry;
  /** Bookings per point and slot, the monitor, chargers following bookings (ev/reservations). */
  readonly reservations: ReservationEngine;
  /** Charging sessions from the points' state, priced at unplug; remote start/stop (ev/sessions). */
  readonly sessions: ChargingSessions;
  /** The trip planner over the network, bookings of its stops, re-plans (ev/trips). */
  readonly trips: TripService;
  /** "Tell me when it is free" (ev/trips). */
  readonly watches: AvailabilityWatches;
  close(): Promise<void>;
}

/** Starts the EV modules in dependency order; `close()` stops them in reverse. */
export async function startEv(deps: EvDeps): Promise<EvRuntime> {
  const events = new EvEvents();
  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stops.reverse())
      await stop().catch((err) => deps.logger.error({ err }, 'EV shutdown step failed'));
    stops.length = 0;
  };
  try {
    // Modules, in dependency order (each adds its start here and its field to EvRuntime):
    // ev/live (charger telemetry -> point state), ev/cars, ev/reservations, ev/sessions.
    const live = new LiveChargers({
      db: deps.db,
      link: deps.link,
      ingest: deps.ingest,
      events,
      logger: deps.logger.child({ module: 'live' }),
      clock: deps.clock,
      config: deps.config.live,
    });
    await live.start();
    stops.push(() => live.close());
    const cars = await CarRegistry.start({
      db: deps.db,
      router: deps.router,
      events,
      logger: deps.logger.child({ module: 'cars' }),
      clock: deps.clock,
      config: deps.config.cars,
    });
    stops.push(() => cars.close());
    const reservations = await startReservations({
      db: deps.db,
      clock: deps.clock,
      config: deps.config.reservations,
      events,
      link: deps.link,
      control: deps.control,
      logger: deps.logger,
    });
    stops.push(() => reservations.stop());
    const sessions = await ChargingSessions.start({
      db: deps.db,
      events,
      control: deps.control,
      reservations: reservations.engine,
      logger: deps.logger.child({ module: 'sessions' }),
      clock: deps.clock,
      config: deps.config.sessions,
      ...(deps.pix ? { pix: deps.pix } : {}),
    });
    stops.push(() => sessions.close());
    const trips = new TripService({
      db: deps.db,
      clock: deps.clock,
      config: deps.config.trips,
      reservations: reservations.engine,
      minSlotMinutes: deps.config.reservations.minSlotMinutes,
      logger: deps.logger.child({ module: 'trips' }),
    });
    const watches = await AvailabilityWatches.start({
      db: deps.db,
      clock: deps.clock,
      config: deps.config.trips,
      events,
      link: deps.link,
      logger: deps.logger.child({ module: 'watches' }),
    });
    stops.push(() => watches.close());
    return {
      events,
      live,
      cars,
      reservations: reservations.engine,
      sessions,
      trips,
      watches,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
