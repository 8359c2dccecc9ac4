import type { ClockAndTimers } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../../storage/index.js';
import type { FederationConfig } from '../config.js';
import type { Catalog } from '../wire.js';
import { buildCatalog } from './catalog.js';
import { FederationParticipant, type ParticipantReservations } from './participant.js';
import { peerOfSubject } from './peers.js';
import { ParticipantRecovery } from './recovery.js';

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
export { ParticipantRecovery, type RecoveryOptions, type RecoveryPass } from './recovery.js';

export interface ParticipantDeps {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  /** The central's ReservationEngine (ev/reservations). */
  reservations: ParticipantReservations;
  config: FederationConfig;
  /** `ev.trips.defaultPointPowerKw`: the catalog's power of a point without connectors. */
  defaultPointPowerKw: number;
  logger: Logger;
  /** Asking coordinators before holds lapse: how often, and how long before (default 5 s, 30 s). */
  recovery?: { periodMs?: number; leadMs?: number; fetch?: typeof fetch };
}

/** The participant as the central and its HTTP face use it. */
export interface ParticipantRuntime {
  readonly participant: FederationParticipant;
  /** Our catalog now (GET /api/v1/federation/catalog). */
  catalog(): Promise<Catalog>;
  /** The coordinator a peer token's subject names, or GL_FED_UNKNOWN_PEER. */
  peerOf(subject: string | null): string;
  /** Asks coordinators about tried branches before their holds lapse (docs/FEDERATION.md). */
  readonly recovery: ParticipantRecovery;
  /** Starts the recovery passes (nothing to do without peers); close() stops them. */
  start(): void;
  close(): Promise<void>;
}

/**
 * Builds the participant's side (docs/FEDERATION.md). Nothing runs in the background until
 * start() (the recovery passes); whoever starts it calls close() before the database closes.
 */
export function createParticipant(deps: ParticipantDeps): ParticipantRuntime {
  const participant = new FederationParticipant({
    db: deps.db,
    clock: deps.clock,
    reservations: deps.reservations,
    maxHoldMinutes: deps.config.maxHoldMinutes,
    logger: deps.logger,
  });
  const recovery = new ParticipantRecovery({
    db: deps.db,
    clock: deps.clock,
    participant,
    peers: deps.config.peers,
    callTimeoutMs: deps.config.callTimeoutMs,
    periodMs: deps.recovery?.periodMs ?? 5_000,
    leadMs: deps.recovery?.leadMs ?? 30_000,
    logger: deps.logger.child({ part: 'recovery' }),
    ...(deps.recovery?.fetch ? { fetch: deps.recovery.fetch } : {}),
  });
  return {
    participant,
    recovery,
    start: () => {
      if (deps.config.peers.length > 0) recovery.start();
    },
    close: () => recovery.close(),
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
