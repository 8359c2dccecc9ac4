import type { EvReservationState } from '../../storage/index.js';
import type { ReservationRow } from './store.js';
import type { BookingTerms } from './terms.js';

/** A reservation as the API and the other EV modules see it. */
export interface ReservationView {
  id: number;
  pointId: number;
  plate: string | null;
  driverId: number | null;
  start: string;
  end: string;
  state: EvReservationState;
  holdExpiresAt: string | null;
  terms: BookingTerms;
  canceled: { reason: string; by: string } | null;
  /** Set while the point cannot honour the booking (fault, maintenance); cleared on recovery. */
  flagged: { reason: string; at: string } | null;
  /** What the driver owes (reais): a no-show or a late cancel. */
  fee: string | null;
  source: string;
  requestId: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toView(r: ReservationRow): ReservationView {
  return {
    id: r.id,
    pointId: r.pointId,
    plate: r.plate,
    driverId: r.driverId,
    start: r.start.toISOString(),
    end: r.end.toISOString(),
    state: r.state,
    holdExpiresAt: r.holdExpiresAt?.toISOString() ?? null,
    terms: r.terms,
    canceled: r.cancelReason ? { reason: r.cancelReason, by: r.canceledBy ?? 'system' } : null,
    flagged:
      r.flaggedReason && r.flaggedAt
        ? { reason: r.flaggedReason, at: r.flaggedAt.toISOString() }
        : null,
    fee: r.fee,
    source: r.source,
    requestId: r.requestId,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** Seed A's `reservas/{id}/status` message (docs/EV.md, "Reservations"). */
export function statusMessage(r: ReservationRow) {
  return {
    id: r.id,
    ponto_id: r.pointId,
    placa: r.plate,
    status: r.state,
    motivo: r.cancelReason ?? r.flaggedReason ?? null,
    inicio: r.start.toISOString(),
    fim: r.end.toISOString(),
  };
}

export const statusTopic = (id: number) => `reservas/${id}/status`;
