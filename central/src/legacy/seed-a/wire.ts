import type { EvRuntime, PointView } from '../../ev/index.js';

type ReservationView = NonNullable<Awaited<ReturnType<EvRuntime['reservations']['get']>>>;

/** A station's name and place, for the points it holds. */
export interface StationPlace {
  name: string;
  latitude: number;
  longitude: number;
}

/**
 * One item of seed A's `GET /pontos` (docs/EV.md, "Seed A"): the point id is `ponto_id`
 * everywhere; `disponivel` and `em_manutencao` mean what `pontos/{id}/disponibilidade` says.
 */
export function pontoOf(p: PointView, station: StationPlace | undefined) {
  return {
    id: p.id,
    nome: p.name,
    estacao_id: p.stationId,
    estacao: station?.name ?? '',
    localizacao: { latitude: station?.latitude ?? 0, longitude: station?.longitude ?? 0 },
    disponivel: p.available,
    em_manutencao: p.maintenance.on,
    ativo: p.active,
    estado: p.state,
  };
}

/** One booking in seed A's names, as `reservas/{id}/status` carries it. */
export function reservaOf(r: ReservationView) {
  return {
    id: r.id,
    ponto_id: r.pointId,
    placa: r.plate,
    status: r.state,
    inicio: r.start,
    fim: r.end,
    motivo: r.canceled?.reason ?? r.flagged?.reason ?? null,
  };
}
