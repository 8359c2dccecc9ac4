import { EventEmitter } from 'node:events';
import type { EvPointState } from '../storage/index.js';

/**
 * What the EV modules tell each other inside one central (docs/EV.md, "Events"). The live
 * module (ev/live) derives a point's state from its charger's telemetry and emits
 * `point.state` after the change is committed; reservations and sessions react to it. Events are
 * in-process and best effort: each consumer also reconciles from the database (the point's row,
 * the reservation rows) on start and on its monitor tick, so a missed event delays, never loses.
 */
export interface PointStateEvent {
  pointId: number;
  stationId: number;
  companyId: string;
  from: EvPointState;
  to: EvPointState;
  /** When the charger's reading that caused it was taken. */
  at: Date;
  faultCode: number | null;
  maintenance: boolean;
  /** The charger's registers at `at` (kWh as Wh integers), when it reports them. */
  sessionEnergyWh: number | null;
  energyTotalWh: number | null;
  powerW: number | null;
}

/** Every reading of a bound charger, after the point row is updated (energy for sessions). */
export interface PointTelemetryEvent {
  pointId: number;
  at: Date;
  state: EvPointState;
  sessionEnergyWh: number | null;
  energyTotalWh: number | null;
  powerW: number | null;
}

/** A car's report (`carros/{placa}/status` or `/bateria`), after it is stored (ev/cars). */
export interface CarStatusEvent {
  plate: string;
  at: Date;
  batteryPct: number | null;
  charging: boolean | null;
}

/** A reservation changed state (ev/reservations), after the change is committed. */
export interface ReservationEvent {
  reservationId: number;
  pointId: number;
  plate: string | null;
  driverId: number | null;
  from: string | null;
  to: string;
  reason: string | null;
  at: Date;
}

export interface EvEventMap {
  'point.state': [PointStateEvent];
  'point.telemetry': [PointTelemetryEvent];
  'car.status': [CarStatusEvent];
  'reservation.status': [ReservationEvent];
}

/**
 * The central's one EV event bus. `emit` runs listeners synchronously: a listener must not throw
 * (catch and log inside) and must not block (start its async work and return).
 */
export class EvEvents extends EventEmitter<EvEventMap> {}
