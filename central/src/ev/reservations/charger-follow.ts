import { isGridlinkError } from '@gridlink/shared';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../../storage/index.js';
import { patch, pointFacts, type ReservationRow } from './store.js';

/** The control plane's face the follower needs (control/ControlPlane.sendCommand). */
export interface CommandSender {
  sendCommand(
    edgeId: string,
    request: { deviceId: string; command: string; value?: number },
    requestedBy: string,
  ): Promise<unknown>;
}

/** The charger map's reservation length bounds (profile `reserve`, 1-1440 minutes). */
const MAX_MINUTES = 1_440;

/**
 * Chargers follow the bookings (docs/EV.md, "Reservations"): OCPP's ReserveNow starts "now", so
 * the central tells a bound charger at the start of each slot (`reserve` with the minutes left,
 * the GridLink map's 40259) and releases it when the booking ends without a start
 * (`cancel_reservation`). Each command is claimed first by a conditional UPDATE of the
 * booking's `charger_reserved_at` / `charger_released_at`, so one reservation sends each command
 * once, whichever central gets there first. A charger whose profile has no `reserve` (KEBA P30)
 * is not commanded: the central alone refuses other cars (authorizeStart).
 */
export class ChargerFollower {
  readonly #db: Kysely<Schema>;
  readonly #control: CommandSender;
  readonly #logger: Logger;

  constructor(options: { db: Kysely<Schema>; control: CommandSender; logger: Logger }) {
    this.#db = options.db;
    this.#control = options.control;
    this.#logger = options.logger;
  }

  async follow(now: Date): Promise<void> {
    const iso = now.toISOString();
    const due = await patch(
      this.#db,
      sql`state = 'RESERVED' AND charger_reserved_at IS NULL
        AND lower(period) <= ${iso}::timestamptz AND upper(period) > ${iso}::timestamptz
        AND point_id IN (SELECT id FROM ev_points WHERE edge_id IS NOT NULL)`,
      [sql`charger_reserved_at = ${iso}::timestamptz`],
    );
    for (const r of due) {
      const minutes = Math.min(
        MAX_MINUTES,
        Math.max(1, Math.ceil((r.end.getTime() - now.getTime()) / 60_000)),
      );
      await this.#send(r, 'reserve', minutes);
    }
    const ended = await patch(
      this.#db,
      sql`charger_reserved_at IS NOT NULL AND charger_released_at IS NULL
        AND state NOT IN ('PENDING', 'RESERVED')`,
      [sql`charger_released_at = ${iso}::timestamptz`],
    );
    // A started session consumed the charger's reservation; the others are cancelled on it.
    for (const r of ended)
      if (r.state !== 'FULFILLED' && r.state !== 'COMPLETED')
        await this.#send(r, 'cancel_reservation');
  }

  async #send(r: ReservationRow, command: string, value?: number): Promise<void> {
    const point = await pointFacts(this.#db, r.pointId);
    if (!point?.edgeId || !point.deviceId) return;
    try {
      await this.#control.sendCommand(
        point.edgeId,
        { deviceId: point.deviceId, command, ...(value === undefined ? {} : { value }) },
        `reservation:${r.id}`,
      );
    } catch (err) {
      const code = isGridlinkError(err) ? err.code : 'GL_INTERNAL';
      const log = code === 'GL_COMMAND_INVALID' ? this.#logger.info : this.#logger.warn;
      log.call(
        this.#logger,
        {
          code,
          reservationId: r.id,
          pointId: r.pointId,
          command,
          err: isGridlinkError(err) ? err.message : err,
        },
        'charger not commanded for a reservation',
      );
    }
  }
}
