import { GridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { EvRuntime } from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import type { ReserveRequest } from './messages.js';
import { stationFacts } from './postos.js';

export interface ReserveDeps {
  db: Kysely<Schema>;
  reservations: EvRuntime['reservations'];
  now: () => Date;
  reservationMinutes: number;
}

export type ReserveOutcome =
  | { status: 'sucesso'; mensagem: string; reservationId: number }
  | { status: 'erro'; mensagem: string; code: string };

const PLATE = /^[A-Z]{3}-?[0-9][A-Z0-9][0-9]{2}$/i;

/** `HH:MM` in the station's zone, as the message shows a time. */
function clock(at: Date | string, timeZone: string): string {
  return new Intl.DateTimeFormat('pt-BR', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(at));
}

/**
 * A seed B reservation (docs/LEGACY-SEED-B.md, "Reserve"): the first point of the station that is
 * free now (available live and with no booking over the next `reservationMinutes`) is booked
 * through the reservation engine from now, whole seconds, for `reservationMinutes`. The booking's
 * idempotency key is `{client_id}:{request_id}`: a client's retry answers the same booking.
 */
export async function reserve(
  deps: ReserveDeps,
  companyId: string,
  req: ReserveRequest,
): Promise<ReserveOutcome> {
  const erro = (code: string, mensagem: string): ReserveOutcome => ({
    status: 'erro',
    code,
    mensagem,
  });
  if (!PLATE.test(req.carro.placa.trim()))
    return erro('GL_VALIDATION', `placa inválida: ${req.carro.placa.slice(0, 16)}`);
  const [station] = await stationFacts(deps.db, companyId, req.posto_id);
  if (!station) return erro('GL_NOT_FOUND', `posto ${req.posto_id} não encontrado`);
  const now = deps.now();
  const start = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const end = new Date(start.getTime() + deps.reservationMinutes * 60_000);
  const requestId = `${req.client_id}:${req.request_id}`;
  const book = async (pointId: number) => {
    try {
      return await deps.reservations.book({
        pointId,
        plate: req.carro.placa.trim(),
        start,
        end,
        requestId,
        source: 'seed-b',
      });
    } catch (err) {
      // The same request id booked before (a retry, at another instant): that booking answers.
      if (err instanceof GridlinkError && err.code === 'GL_CONFLICT') {
        const id = (err.details as { reservationId?: number } | undefined)?.reservationId;
        const earlier = id === undefined ? null : await deps.reservations.get(id);
        if (earlier) return earlier;
      }
      if (
        err instanceof GridlinkError &&
        (err.code === 'GL_EV_SLOT_TAKEN' || err.code === 'GL_EV_POINT_NOT_BOOKABLE')
      )
        return null;
      throw err;
    }
  };
  // A retry whose booking sits on a later point reaches it through book()'s GL_CONFLICT.
  for (const point of station.points) {
    if (!point.available) continue;
    if (!(await deps.reservations.isFreeAt(point.id, start, end))) continue;
    const booked = await book(point.id);
    if (!booked) continue;
    const pointName = station.points.find((p) => p.id === booked.pointId)?.name ?? booked.pointId;
    return {
      status: 'sucesso',
      reservationId: booked.id,
      mensagem:
        `Reserva ${booked.id} confirmada no posto ${station.name}, ponto ${pointName}, ` +
        `das ${clock(booked.start, station.timeZone)} às ${clock(booked.end, station.timeZone)}`,
    };
  }
  const earlier = await retried(deps, station.points, requestId);
  if (earlier) return earlier;
  const soonest = await soonestFree(deps, station.points, end, start);
  return erro(
    'GL_EV_SLOT_TAKEN',
    `Nenhum ponto livre no posto ${station.name} agora` +
      (soonest ? `; próximo horário livre às ${clock(soonest, station.timeZone)}` : ''),
  );
}

/** A retry whose earlier booking now makes every point look taken: answer that booking. */
async function retried(
  deps: ReserveDeps,
  points: ReadonlyArray<{ id: number; name: string }>,
  requestId: string,
): Promise<ReserveOutcome | null> {
  for (const point of points) {
    const live = await deps.reservations.list({ pointId: point.id, limit: 50 });
    const mine = live.find((r) => r.source === 'seed-b' && r.requestId === requestId);
    if (mine && mine.canceled === null)
      return {
        status: 'sucesso',
        reservationId: mine.id,
        mensagem: `Reserva ${mine.id} confirmada no posto, ponto ${point.name}`,
      };
  }
  return null;
}

/** The earliest start among the points' next free slots of the same length. */
async function soonestFree(
  deps: ReserveDeps,
  points: ReadonlyArray<{ id: number; active: boolean; maintenance: boolean }>,
  end: Date,
  start: Date,
): Promise<Date | null> {
  let soonest: Date | null = null;
  for (const p of points) {
    if (!p.active || p.maintenance) continue;
    const [slot] = await deps.reservations.nextFreeSlots(
      p.id,
      start,
      end.getTime() - start.getTime(),
      1,
    );
    if (slot && (soonest === null || slot.start < soonest)) soonest = slot.start;
  }
  return soonest;
}
