import type { EvPointState } from '../../storage/index.js';

/** Seed A's `pontos/{id}/disponibilidade` payload, field names as the seed has them. */
export interface Availability {
  ponto_id: number;
  disponivel: boolean;
  em_manutencao: boolean;
}

/**
 * `disponivel` = active, not in maintenance, and the charger says `available`; a point with no
 * charger bound (seed A's points had none) is available while `unknown`. A bound charger that has
 * not reported yet, or was reported offline, is `unknown`: not available (docs/EV.md, "Live state").
 */
export function availabilityOf(p: {
  pointId: number;
  active: boolean;
  maintenance: boolean;
  state: EvPointState;
  bound: boolean;
}): Availability {
  const free = p.state === 'available' || (p.state === 'unknown' && !p.bound);
  return {
    ponto_id: p.pointId,
    disponivel: p.active && !p.maintenance && free,
    em_manutencao: p.maintenance,
  };
}

/** The `pontos/{id}/disponibilidade` topic of a point. */
export const availabilityTopic = (pointId: number): string => `pontos/${pointId}/disponibilidade`;
