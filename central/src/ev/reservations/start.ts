import type { ClockAndTimers } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../../storage/index.js';
import type { EvEvents } from '../events.js';
import { ChargerFollower, type CommandSender } from './charger-follow.js';
import type { ReservationsConfig } from './config.js';
import { ReservationEngine, type StatusLink } from './engine.js';
import { ReservationMonitor } from './monitor.js';

export interface ReservationsDeps {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  config: ReservationsConfig;
  events: EvEvents;
  link: StatusLink;
  control: CommandSender;
  logger: Logger;
}

/** Starts the engine, its `point.state` listener and its monitor; `stop` undoes them. */
export async function startReservations(
  deps: ReservationsDeps,
): Promise<{ engine: ReservationEngine; stop(): Promise<void> }> {
  const logger = deps.logger.child({ component: 'ev-reservations' });
  const chargers = new ChargerFollower({ db: deps.db, control: deps.control, logger });
  const engine = new ReservationEngine({ ...deps, logger, chargers });
  deps.events.on('point.state', engine.onPointState);
  const monitor = new ReservationMonitor({
    engine,
    clock: deps.clock,
    logger,
    periodMs: deps.config.monitorPeriodMs,
  });
  await monitor.start();
  return {
    engine,
    stop: async () => {
      deps.events.off('point.state', engine.onPointState);
      await monitor.stop();
    },
  };
}
