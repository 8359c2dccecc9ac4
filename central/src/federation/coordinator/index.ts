/** Federation, the coordinator's side (docs/FEDERATION.md): its log, its peers, their catalogs. */

import type { ClockAndTimers } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { TripFederation } from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import type { FederationConfig } from '../config.js';
import { branchKey, type FederationParticipant } from '../participant/index.js';
import { CatalogSync } from './catalog-sync.js';
import {
  type CoordinatorFaults,
  FederationCoordinator,
  type LocalParticipant,
} from './coordinator.js';
import { PeerClient } from './peer-client.js';
import type { TxRecord } from './tx-log.js';

export { CatalogSync, type CatalogSyncDeps, type RemotePoint } from './catalog-sync.js';
export {
  type CoordinatorDeps,
  type CoordinatorFaults,
  type FederatedBooking,
  FederationCoordinator,
  type LocalParticipant,
} from './coordinator.js';
export { PeerClient, type PeerClientOptions } from './peer-client.js';
export {
  type BranchPlan,
  type BranchRecord,
  type FedTransactionState,
  type FedTxBranchState,
  TxLog,
  type TxRecord,
  toTransactionView,
} from './tx-log.js';

/** Our own participant as the coordinator's local branches use it (coordinator = our name). */
export function localParticipant(p: FederationParticipant): LocalParticipant {
  return {
    try: async (c, tx, b, req) => (await p.try(branchKey(c, tx, b), req)).branch,
    confirm: (c, tx, b) => p.confirm(branchKey(c, tx, b)),
    cancel: (c, tx, b, req) => p.cancel(branchKey(c, tx, b), req),
  };
}

/** The coordinator as the trip service's federation port (ev/trips `TripFederation`). */
export function tripFederation(rt: FederationCoordinatorRuntime): TripFederation {
  return {
    remotePoints: () => rt.catalog.points(),
    book: (b) => rt.coordinator.book(b),
    get: (txId) => rt.coordinator.get(txId),
  };
}

export interface FederationCoordinatorRuntime {
  /** The federation section it runs with (`name` set, peers configured). */
  readonly config: FederationConfig;
  readonly coordinator: FederationCoordinator;
  readonly catalog: CatalogSync;
  readonly peers: PeerClient;
  close(): Promise<void>;
}

/**
 * The coordinator's runtime when the federation section names us and our peers (null otherwise):
 * recovery from the log before anything books, then the catalog copies in the background.
 */
export async function startFederationCoordinator(deps: {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  logger: Logger;
  config: FederationConfig;
  local: LocalParticipant;
  faults?: CoordinatorFaults;
  onSettled?: (tx: TxRecord) => Promise<void>;
  fetch?: typeof fetch;
}): Promise<FederationCoordinatorRuntime | null> {
  const { config } = deps;
  if (!config.name || config.peers.length === 0) return null;
  const logger = deps.logger.child({ component: 'federation-coordinator' });
  const peers = new PeerClient({
    peers: config.peers,
    callTimeoutMs: config.callTimeoutMs,
    clock: deps.clock,
    logger,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const coordinator = new FederationCoordinator({
    db: deps.db,
    clock: deps.clock,
    logger,
    config: { ...config, name: config.name },
    peers,
    local: deps.local,
    ...(deps.faults ? { faults: deps.faults } : {}),
    ...(deps.onSettled ? { onSettled: deps.onSettled } : {}),
  });
  const catalog = new CatalogSync({
    db: deps.db,
    clock: deps.clock,
    logger,
    peers,
    syncSeconds: config.catalogSyncSeconds,
    maxAgeSeconds: config.catalogMaxAgeSeconds,
  });
  coordinator.start();
  catalog.start();
  return {
    config,
    coordinator,
    catalog,
    peers,
    async close() {
      await catalog.close();
      await coordinator.close();
    },
  };
}
