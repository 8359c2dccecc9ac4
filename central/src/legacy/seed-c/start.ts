import type { ClockAndTimers } from '@gridlink/shared';
import { GridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { EvConfig, EvRuntime } from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import type { SeedCConfig } from './config.js';
import { SeedCJourney } from './journey.js';
import { type SeedCServer, startSeedCServer } from './server.js';

export interface StartSeedCDeps {
  db: Kysely<Schema>;
  ev: EvRuntime;
  evConfig: EvConfig;
  config: SeedCConfig;
  clock: ClockAndTimers;
  logger: Logger;
}

/** The journey server wired to the EV runtime; a configured `driverId` must exist. */
export async function startSeedC(d: StartSeedCDeps): Promise<SeedCServer> {
  if (d.config.driverId !== undefined) {
    const driver = await d.db
      .selectFrom('ev_drivers')
      .select('id')
      .where('id', '=', d.config.driverId)
      .executeTakeFirst();
    if (!driver)
      throw new GridlinkError(
        'GL_CONFIG_INVALID',
        `legacy.seedC.driverId: no driver ${d.config.driverId}`,
      );
  }
  const now = () => d.clock.now();
  const journey = new SeedCJourney({
    db: d.db,
    reservations: d.ev.reservations,
    now,
    config: d.config,
    trips: d.evConfig.trips,
    minSlotMinutes: d.evConfig.reservations.minSlotMinutes,
    maxSlotMinutes: d.evConfig.reservations.maxSlotMinutes,
    logger: d.logger,
  });
  return startSeedCServer({ config: d.config, journey, now, logger: d.logger });
}
