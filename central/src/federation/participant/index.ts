import type { ClockAndTimers } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../../storage/index.js';
import type { FederationConfig } from '../config.js';
import type { Catalog } from '../wire.js';
import { buildCatalog } from './catalog.js';
import { FederationParticipant, type ParticipantReservations } from './participant.js';
import { peerOfSubject } from './peers.js';

export { buildCatalog, type CatalogOptions } from './catalog.js';
export {
  type BranchKey,
  type BranchRow,
  HOLD_EXPIRED,
  toBranchView,
  wireInstant,
} from './fence-store.js';
export {
  type BranchActor,
  type BranchListFilter,
  branchKey,
  FederationParticipant,
  type HeldBooking,
  type ParticipantOptions,
  type ParticipantReservations,
  type TryOutcome,
  tryRequestId,
} from './participant.js';
export { peerOfSubject } from './peers.js';

export interface ParticipantDeps {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  /** The central's ReservationEngine (ev/reservations). */
  reservations: ParticipantReservations;
  config: FederationConfig;
  /** `ev.trips.defaultPointPowerKw`: the catalog's power of a point without connectors. */
  defaultPointPowerKw: number;
  logger: Logger;
}

/** The participant as the central and its HTTP face use it. */
export interface ParticipantRuntime {
  readonly participant: FederationParticipant;
  /** Our catalog now (GET /api/v1/federation/catalog). */
  catalog(): Promise<Catalog>;
  /** The coordinator a peer token's subject names, or GL_FED_UNKNOWN_PEER. */
  peerOf(subject: string | null): string;
}

/** Builds the participant's side (docs/FEDERATION.md); nothing runs in the background. */
export function createParticipant(deps: ParticipantDeps): ParticipantRuntime {
  const participant = new FederationParticipant({
    db: deps.db,
    clock: deps.clock,
    reservations: deps.reservations,
    maxHoldMinutes: deps.config.maxHoldMinutes,
    logger: deps.logger,
  });
  return {
    participant,
    catalog: () =>
      buildCatalog(deps.db, {
        // Unnamed only when federation is off (no peers): then only staff read it.
        name: deps.config.name ?? 'local',
        now: new Date(deps.clock.now()),
        horizonHours: deps.config.catalogHorizonHours,
        defaultPointPowerKw: deps.defaultPointPowerKw,
      }),
    peerOf: (subject) => peerOfSubject(deps.config, subject),
  };
}
