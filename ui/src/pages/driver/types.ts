/** The /api/v1 shapes the driver pages read (the OpenAPI document is the contract). */

export interface DriverSignIn {
  token: string;
  driverId: number;
  expiresAt: string;
}

export interface Car {
  plate: string;
  driverId: number | null;
  model: string | null;
  batteryKwh: number | null;
  consumptionKwhPerKm: number | null;
  last: { batteryPct: number; charging: boolean; at: string } | null;
}

export interface Position {
  lat: number;
  lon: number;
}

export interface TripStop {
  seq: number;
  stationId: number;
  stationName: string;
  companyId: string;
  position: Position;
  distanceKm: number;
  driveMinutes: number;
  arriveAt: string;
  arrivalSocPct: number;
  waitMinutes: number;
  chargeFrom: string;
  chargeMinutes: number;
  departAt: string;
  departureSocPct: number;
  energyKwh: number;
  maxPowerKw: number;
  pointId: number | null;
  reservationId: number | null;
}

export interface Trip {
  id: number;
  plate: string | null;
  booked: boolean;
  car: { model: string | null; batteryKwh: number };
  start: { socPct: number; source: 'request' | 'car'; reportedAt: string | null };
  origin: Position;
  destination: Position;
  departAt: string;
  arriveAt: string;
  arrivalSocPct: number;
  totalMinutes: number;
  driveMinutes: number;
  waitMinutes: number;
  chargeMinutes: number;
  distanceKm: number;
  stops: TripStop[];
}

export type ReservationState =
  | 'PENDING'
  | 'RESERVED'
  | 'FULFILLED'
  | 'COMPLETED'
  | 'CANCELED'
  | 'NO_SHOW'
  | 'EXPIRED'
  | 'REJECTED'
  | 'FAILED';

export const LIVE_STATES: readonly ReservationState[] = ['PENDING', 'RESERVED', 'FULFILLED'];

/** The cancel reasons a driver may give (docs/EV.md, "Terms"). */
export const DRIVER_CANCEL_REASONS = ['USER', 'TRAFFIC', 'BROKEN_VEHICLE'] as const;

export interface Reservation {
  id: number;
  pointId: number;
  plate: string | null;
  start: string;
  end: string;
  state: ReservationState;
  canceled: { reason: string; by: string } | null;
  flagged: { reason: string; at: string } | null;
  fee: string | null;
}

export interface ChargingSession {
  id: number;
  pointId: number;
  plate: string | null;
  state: 'active' | 'finished' | 'priced' | 'void';
  startedAt: string;
  endedAt: string | null;
  totalCentavos: number | null;
}

export type Dimension = 'ENERGY' | 'TIME' | 'PARKING_TIME' | 'FLAT' | 'MIN_PRICE' | 'MAX_PRICE';

export interface Receipt {
  sessionId: number;
  pointId: number;
  plate: string | null;
  startedAt: string;
  endedAt: string;
  energyWh: number;
  lines: Array<{
    dimension: Dimension;
    price: string | null;
    quantity: string;
    unit: 'kWh' | 'min' | 'session';
    amountCentavos: number;
  }>;
  totalCentavos: number;
  paidAt: string | null;
  pix: { payload: string; txid: string } | null;
}
