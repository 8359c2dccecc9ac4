import type { ClockAndTimers } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { Ticker, type TripRemotePoint } from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import type { Catalog } from '../wire.js';
import type { PeerClient } from './peer-client.js';

export interface CatalogSyncDeps {
  db: Kysely<Schema>;
  clock: ClockAndTimers;
  logger: Logger;
  peers: PeerClient;
  /** federation.catalogSyncSeconds. */
  syncSeconds: number;
  /** federation.catalogMaxAgeSeconds. */
  maxAgeSeconds: number;
}

/** A peer's charging point as the planner reads it (the trip service's port type). */
export type RemotePoint = TripRemotePoint;

/**
 * Copies each peer's catalog into `fed_remote_points` (docs/FEDERATION.md, "Planning over peers'
 * stations"): at start and every catalogSyncSeconds. A peer's rows are replaced in one
 * transaction, so the planner reads one whole copy; a peer that does not answer keeps its last
 * copy, which `points()` leaves out once it is older than catalogMaxAgeSeconds.
 */
export class CatalogSync {
  readonly #d: CatalogSyncDeps;
  #ticker: Ticker | undefined;
  #first: Promise<void> | undefined;

  constructor(deps: CatalogSyncDeps) {
    this.#d = deps;
  }

  /** A first sync in the background (a peer down at start must not hold ours), then periodic. */
  start(): void {
    this.#first = this.syncAll().then(
      () => undefined,
      (err) => this.#d.logger.error({ err }, 'first catalog sync failed'),
    );
    this.#ticker = new Ticker(
      this.#d.clock,
      this.#d.syncSeconds * 1000,
      () => this.syncAll(),
      (err) => this.#d.logger.error({ err }, 'catalog sync failed'),
    ).start();
  }

  /** Resolves when the first sync of start() has settled (copied or not). */
  get firstSync(): Promise<void> {
    return this.#first ?? Promise.resolve();
  }

  async close(): Promise<void> {
    await this.#ticker?.stop();
    await this.#first;
  }

  /** Syncs every peer; answers which peers were copied. */
  async syncAll(): Promise<{ synced: string[]; failed: string[] }> {
    const synced: string[] = [];
    const failed: string[] = [];
    await Promise.all(
      this.#d.peers.names.map(async (peer) => {
        try {
          await this.sync(peer);
          synced.push(peer);
        } catch (err) {
          failed.push(peer);
          this.#d.logger.warn(
            { peer, err: (err as Error).message },
            'peer catalog not copied; keeping the last copy',
          );
        }
      }),
    );
    return { synced, failed };
  }

  /** Copies one peer's catalog, replacing its rows. */
  async sync(peer: string): Promise<number> {
    const cat = await this.#d.peers.catalog(peer);
    return this.store(peer, cat);
  }

  async store(peer: string, cat: Catalog): Promise<number> {
    const now = new Date(this.#d.clock.now());
    const rows = cat.stations.flatMap((s) =>
      s.points.map((p) => ({
        peer,
        company_id: s.companyId,
        station_id: s.id,
        station_name: s.name,
        latitude: s.latitude,
        longitude: s.longitude,
        point_id: p.id,
        point_name: p.name,
        usable: p.usable,
        state: p.state,
        power_kw: p.powerKw,
        price: p.price == null ? null : JSON.stringify(p.price),
        busy: JSON.stringify(p.busy),
        synced_at: now,
      })),
    );
    await this.#d.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('fed_remote_points').where('peer', '=', peer).execute();
      for (let i = 0; i < rows.length; i += 500)
        await tx
          .insertInto('fed_remote_points')
          .values(rows.slice(i, i + 500))
          .execute();
    });
    this.#d.logger.debug({ peer, points: rows.length }, 'peer catalog copied');
    return rows.length;
  }

  /** Every remote point of a copy young enough to plan on. */
  async points(): Promise<RemotePoint[]> {
    const since = new Date(this.#d.clock.now() - this.#d.maxAgeSeconds * 1000);
    const rows = await this.#d.db
      .selectFrom('fed_remote_points')
      .selectAll()
      .where('synced_at', '>=', since)
      .where('peer', 'in', this.#d.peers.names.length ? this.#d.peers.names : [''])
      .orderBy('peer')
      .orderBy('station_id')
      .orderBy('point_id')
      .execute();
    return rows.map((r) => ({
      peer: r.peer,
      companyId: r.company_id,
      stationId: Number(r.station_id),
      stationName: r.station_name,
      latitude: r.latitude,
      longitude: r.longitude,
      pointId: Number(r.point_id),
      usable: r.usable,
      state: r.state,
      powerKw: r.power_kw,
      busy: ((r.busy ?? []) as Array<{ start: string; end: string }>).map((b) => ({
        start: Date.parse(b.start),
        end: Date.parse(b.end),
      })),
    }));
  }
}
