import { type ClockAndTimers, type ErrorCode, errorCatalog, GridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { type PixSettings, pixQrSvg } from '../../billing/index.js';
import type { EvPointState, Schema } from '../../storage/index.js';
import { getCar, normalizePlate } from '../cars/index.js';
import type { EvEvents, PointStateEvent, PointTelemetryEvent } from '../events.js';
import { Ticker } from '../ticker.js';
import type { SessionsConfig } from './config.js';
import { decide, type Reading } from './decide.js';
import { buildReceipt, type Receipt } from './receipt.js';
import { renderReceiptHtml } from './receipt-html.js';
import type { SessionScope } from './scope.js';
import {
  attributeWaiting,
  dropStart,
  endSession,
  getSession,
  insertSession,
  listSessions,
  markStopRequested,
  openSessionOf,
  patchSession,
  pointsToReconcile,
  putStart,
  type SessionFilter,
  type SessionView,
  sessionPix,
  setStartCommand,
} from './session-store.js';

/** The control plane as sessions use it (control/ControlPlane.sendCommand). */
export interface SessionCommands {
  sendCommand(
    edgeId: string,
    request: { deviceId: string; command: string; value?: number },
    requestedBy: string,
  ): Promise<{ id: string; state: string }>;
}

/** A booking as sessions read it (ev/reservations `ReservationView`). */
export interface BookingSeen {
  id: number;
  plate: string | null;
  driverId: number | null;
  state: string;
  start: string;
  end: string;
  terms: { early_start_time: number };
}

/** Reservations as sessions use them (ev/reservations: `authorizeStart`, `list`). */
export interface StartAuthorizer {
  list(filter: { pointId: number; from: Date; to: Date; limit: number }): Promise<BookingSeen[]>;
  authorizeStart(
    pointId: number,
    plate: string,
    at: Date,
  ): Promise<
    { ok: true; reservationId: number | null } | { ok: false; code: string; message: string }
  >;
}

export interface ChargingSessionsDeps {
  db: Kysely<Schema>;
  events: EvEvents;
  control: SessionCommands;
  reservations?: StartAuthorizer;
  logger: Logger;
  clock: ClockAndTimers;
  config: SessionsConfig;
  /** The Pix receiver of receipts (config `billing.pix`); none = receipts without a Pix code. */
  pix?: PixSettings;
}

/** Who asks for a start or stop: `by` for the record; a driver may act only for itself. */
export interface SessionActor {
  by: string;
  /** Set for a driver: its own cars and sessions only. */
  driverId: number | null;
  scope: SessionScope;
}

export interface StartResult {
  pointId: number;
  plate: string;
  driverId: number | null;
  reservationId: number | null;
  command: { id: string; state: string };
  expiresAt: string;
}

/**
 * Charging sessions (docs/EV.md, "Sessions and pricing"): follows each point's live state
 * (`point.state` and `point.telemetry` from ev/live) to open a session at plug-in, mark charging
 * start and stop, and end and price it at unplug; reconciles open sessions with the points'
 * state at start and every `reconcileSeconds` (an event missed delays, never loses). Remote
 * start and stop go to the bound charger over the control plane.
 */
export class ChargingSessions {
  readonly #d: ChargingSessionsDeps;
  /** One decision at a time per point, in arrival order. */
  readonly #chains = new Map<number, Promise<void>>();
  #ticker: Ticker | undefined;
  #closed = false;

  private constructor(deps: ChargingSessionsDeps) {
    this.#d = deps;
  }

  static async start(deps: ChargingSessionsDeps): Promise<ChargingSessions> {
    const s = new ChargingSessions(deps);
    deps.events.on('point.state', s.#onState);
    deps.events.on('point.telemetry', s.#onTelemetry);
    await s.reconcile();
    s.#ticker = new Ticker(
      deps.clock,
      deps.config.reconcileSeconds * 1000,
      () => s.reconcile(),
      (err) => deps.logger.error({ err }, 'session reconcile failed'),
    ).start();
    return s;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#d.events.off('point.state', this.#onState);
    this.#d.events.off('point.telemetry', this.#onTelemetry);
    await this.#ticker?.stop();
    await this.idle();
  }

  /** Resolves when every reading taken so far is decided. */
  async idle(): Promise<void> {
    while (this.#chains.size > 0) await Promise.allSettled([...this.#chains.values()]);
  }

  readonly #onState = (e: PointStateEvent): void => {
    if (e.from === e.to) return; // maintenance flips
    this.#take(e.pointId, {
      state: e.to,
      at: e.at,
      energyTotalWh: e.energyTotalWh,
      sessionEnergyWh: e.sessionEnergyWh,
      powerW: e.powerW,
    });
  };

  readonly #onTelemetry = (e: PointTelemetryEvent): void => {
    this.#take(e.pointId, {
      state: e.state,
      at: e.at,
      energyTotalWh: e.energyTotalWh,
      sessionEnergyWh: e.sessionEnergyWh,
      powerW: e.powerW,
    });
  };

  #take(pointId: number, r: Reading): void {
    if (this.#closed) return;
    const prev = this.#chains.get(pointId) ?? Promise.resolve();
    const next = prev
      .then(async () => {
        await this.apply(pointId, r);
      })
      .catch((err) => {
        this.#d.logger.error({ err, pointId }, 'session decision failed');
      })
      .finally(() => {
        if (this.#chains.get(pointId) === next) this.#chains.delete(pointId);
      });
    this.#chains.set(pointId, next);
  }

  /** Decides one reading of a point and applies it; resolves the session ended, if one did. */
  async apply(pointId: number, r: Reading): Promise<SessionView | null> {
    const { db, clock, config, logger } = this.#d;
    const now = new Date(clock.now());
    const open = await openSessionOf(db, pointId);
    const d = decide(open, r, config.sampleEveryMinutes * 60_000);
    if (d.kind === 'open') {
      const id = await insertSession(
        db,
        pointId,
        d,
        now,
        await this.#bookingAt(pointId, d.startedAt),
      );
      if (id !== null) logger.info({ pointId, sessionId: id }, 'charging session opened');
      return null;
    }
    if (d.kind === 'update' && open) await patchSession(db, open.id, d.patch, now);
    if (d.kind === 'end' && open) {
      try {
        const ended = await endSession(
          db,
          open.id,
          { patch: d.patch, endedAt: d.endedAt, reason: d.reason },
          now,
          this.#d.pix,
        );
        if (ended)
          logger.info(
            { pointId, sessionId: ended.id, state: ended.state, total: ended.totalCentavos },
            'charging session ended',
          );
        return ended;
      } catch (err) {
        logger.error({ err, pointId, sessionId: open.id }, 'session not priced');
      }
    }
    return null;
  }

  /** Every open session and occupied point, against the point's current row. */
  async reconcile(): Promise<void> {
    const rows = await pointsToReconcile(this.#d.db);
    for (const p of rows) {
      const reading: Reading = {
        state: p.state as EvPointState,
        at: p.state_at ?? new Date(this.#d.clock.now()),
        energyTotalWh: p.energy_total_wh === null ? null : Number(p.energy_total_wh),
        sessionEnergyWh: p.session_energy_wh === null ? null : Number(p.session_energy_wh),
        powerW: p.power_w,
      };
      this.#take(Number(p.id), reading);
    }
    await this.idle();
  }

  /**
   * Remote start: `plate` on `pointId`. A driver only with its own car. Authorized by the
   * reservations (a point booked for another car refuses), then `start` goes to the bound
   * charger. A car already plugged in and waiting (an open session that has not charged and is
   * nobody's) is attributed at once; otherwise the intent is kept `startIntentMinutes` so the
   * session that follows is attributed. A session already charging or someone's: GL_CONFLICT.
   */
  async start(pointId: number, plateIn: string, who: SessionActor): Promise<StartResult> {
    const { db, clock, config } = this.#d;
    const plate = normalizePlate(plateIn);
    const point = await this.#point(pointId, who.scope);
    const owner = (await getCar(db, plate, { kind: 'all' }))?.driverId ?? null;
    if (who.driverId !== null && owner !== who.driverId)
      throw new GridlinkError('GL_NOT_FOUND', `no car ${plate} of yours`);
    if (!point.edgeId || !point.deviceId)
      throw new GridlinkError(
        'GL_EV_POINT_UNBOUND',
        `point ${pointId} has no charger bound: it cannot be started remotely`,
      );
    // A car already plugged in and waiting (preparing, nobody's yet) is the one being started.
    const open = await openSessionOf(db, pointId);
    const busy = () =>
      new GridlinkError('GL_CONFLICT', `point ${pointId} already has a session under way`);
    if (open && open.chargingStartedAt !== null) throw busy();
    const now = new Date(clock.now());
    let reservationId: number | null = null;
    if (this.#d.reservations) {
      const auth = await this.#d.reservations.authorizeStart(pointId, plate, now);
      if (!auth.ok)
        throw new GridlinkError(
          (auth.code in errorCatalog ? auth.code : 'GL_EV_START_REFUSED') as ErrorCode,
          auth.message,
          {
            reason: auth.code,
          },
        );
      reservationId = auth.reservationId;
    }
    const expiresAt = new Date(now.getTime() + config.startIntentMinutes * 60_000);
    const intent = {
      pointId,
      plate,
      driverId: owner,
      reservationId,
      requestedBy: who.by,
      requestedAt: now,
      expiresAt,
    };
    if (open) {
      if (!(await attributeWaiting(db, open.id, intent))) throw busy();
    } else await putStart(db, intent);
    let command: { id: string; state: string };
    try {
      command = await this.#d.control.sendCommand(
        point.edgeId,
        { deviceId: point.deviceId, command: 'start' },
        who.by,
      );
    } catch (err) {
      if (!open) await dropStart(db, pointId);
      throw err;
    }
    await setStartCommand(db, pointId, command.id);
    return {
      pointId,
      plate,
      driverId: owner,
      reservationId,
      command: { id: command.id, state: command.state },
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** Remote stop of the point's open session (a driver: only its own). */
  async stop(
    pointId: number,
    who: SessionActor,
  ): Promise<{ session: SessionView; command: { id: string; state: string } }> {
    const { db, clock } = this.#d;
    const point = await this.#point(pointId, who.scope);
    const open = await openSessionOf(db, pointId);
    const session = open ? await getSession(db, open.id, who.scope) : null;
    if (!open || !session)
      throw new GridlinkError('GL_CONFLICT', `point ${pointId} has no session of yours open`);
    if (!point.edgeId || !point.deviceId)
      throw new GridlinkError('GL_EV_POINT_UNBOUND', `point ${pointId} has no charger bound`);
    const command = await this.#d.control.sendCommand(
      point.edgeId,
      { deviceId: point.deviceId, command: 'stop' },
      who.by,
    );
    await markStopRequested(db, open.id, who.by, new Date(clock.now()));
    return {
      session: { ...session, stoppedBy: who.by },
      command: { id: command.id, state: command.state },
    };
  }

  get(id: number, scope: SessionScope): Promise<SessionView | null> {
    return getSession(this.#d.db, id, scope);
  }

  list(filter: SessionFilter, scope: SessionScope): Promise<SessionView[]> {
    return listSessions(this.#d.db, filter, scope);
  }

  /** The receipt of a priced session the scope may see (null: absent or not yours). */
  async receipt(id: number, scope: SessionScope): Promise<Receipt | null> {
    const session = await getSession(this.#d.db, id, scope);
    if (!session) return null;
    const pix = await sessionPix(this.#d.db, id, scope);
    return buildReceipt(session, pix?.pix_payload ?? null);
  }

  /**
   * The booking that holds the point at `at` (RESERVED or FULFILLED, its slot begun or inside its
   * early-start window): a session that opens without a remote start is its car's.
   */
  async #bookingAt(pointId: number, at: Date) {
    if (!this.#d.reservations) return null;
    const horizon = new Date(at.getTime() + 24 * 60 * 60_000);
    const live = await this.#d.reservations.list({ pointId, from: at, to: horizon, limit: 20 });
    const holds = live.find(
      (b) =>
        (b.state === 'RESERVED' || b.state === 'FULFILLED') &&
        Date.parse(b.start) - b.terms.early_start_time * 60_000 <= at.getTime() &&
        Date.parse(b.end) > at.getTime(),
    );
    if (!holds) return null;
    // A booking by plate alone is still its car owner's session.
    const owner =
      holds.driverId ??
      (holds.plate
        ? ((await getCar(this.#d.db, holds.plate, { kind: 'all' }))?.driverId ?? null)
        : null);
    return { plate: holds.plate, driverId: owner, reservationId: holds.id };
  }

  /** The printable receipt page (pt-BR, Pix QR as inline SVG); null: absent or not yours. */
  async receiptHtml(id: number, scope: SessionScope): Promise<string | null> {
    const r = await this.receipt(id, scope);
    if (!r) return null;
    return renderReceiptHtml(r, r.pix ? await pixQrSvg(r.pix.payload) : null);
  }

  async #point(pointId: number, scope: SessionScope) {
    const r = await this.#d.db
      .selectFrom('ev_points as p')
      .innerJoin('ev_stations as s', 's.id', 'p.station_id')
      .select(['p.edge_id', 'p.device_id', 's.company_id'])
      .where('p.id', '=', pointId)
      .executeTakeFirst();
    if (
      !r ||
      (scope.kind === 'company' && scope.companyId !== r.company_id) ||
      scope.kind === 'none'
    )
      throw new GridlinkError('GL_NOT_FOUND', `no charging point ${pointId}`);
    return { edgeId: r.edge_id, deviceId: r.device_id };
  }
}
