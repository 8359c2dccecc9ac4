/**
 * The connector state machine of the GridLink AC charger (docs/PROFILES.md, "GridLink AC
 * charger — reference map v1"), pure: a state and an event in, the next state or a refusal out.
 * No clock, no I/O; time arrives as `nowMs` on the events that need it.
 *
 * The status is derived from the connector's facts, never stored, so it cannot disagree with
 * them. Names and codes are OCPP 1.6 ChargePointStatus, as the profile's `status` enum lists.
 */

export const CONNECTOR_STATUSES = [
  'available',
  'preparing',
  'charging',
  'finishing',
  'reserved',
  'faulted',
  'unavailable',
] as const;
export type ConnectorStatus = (typeof CONNECTOR_STATUSES)[number];

/** The value of the `status` register (30001) for each status: the profile's enum. */
export const STATUS_CODE: Readonly<Record<ConnectorStatus, number>> = {
  available: 0,
  preparing: 1,
  charging: 2,
  finishing: 3,
  reserved: 4,
  faulted: 5,
  unavailable: 6,
};

/** `charge_control` (40258) values (the profile's enum). */
export const CHARGE_CONTROL = { none: 0, start: 1, stop: 2 } as const;

/** Current limit range the charger accepts, A (IEC 61851-1 PWM range, as the profile states). */
export const CURRENT_LIMIT_A = { min: 6, max: 32 } as const;
/** Reservation length the charger accepts, minutes (the profile's `reserve` command bounds). */
export const RESERVATION_MINUTES = { min: 1, max: 1440 } as const;

const MS_PER_MINUTE = 60_000;

export interface ConnectorState {
  /** A vehicle is plugged in. */
  vehicle: boolean;
  /** A start was accepted with no vehicle yet: the session begins when one is plugged in. */
  authorized: boolean;
  /** The session: none, energy flowing (or offered), or stopped and waiting for the unplug. */
  session: 'none' | 'charging' | 'finishing';
  /** When finishing began; the driver unplugs `finishingMs` later. */
  finishingSinceMs: number | null;
  /** When the reservation ends; null = none. */
  reservedUntilMs: number | null;
  /** Vendor fault code; > 0 = faulted. */
  faultCode: number;
  /** false = taken out of service (OCPP ChangeAvailability Inoperative): status unavailable. */
  operative: boolean;
  /** The last charge_control command accepted (reads back from 40258). */
  lastCommand: 0 | 1 | 2;
  currentLimitA: number;
}

export function initialConnectorState(currentLimitA: number = CURRENT_LIMIT_A.max): ConnectorState {
  return {
    vehicle: false,
    authorized: false,
    session: 'none',
    finishingSinceMs: null,
    reservedUntilMs: null,
    faultCode: 0,
    operative: true,
    lastCommand: 0,
    currentLimitA,
  };
}

/** The status a state shows, in precedence order: a fault hides everything else. */
export function connectorStatus(s: ConnectorState): ConnectorStatus {
  if (s.faultCode > 0) return 'faulted';
  if (!s.operative) return 'unavailable';
  if (s.session === 'charging') return 'charging';
  if (s.session === 'finishing') return 'finishing';
  if (s.reservedUntilMs !== null) return 'reserved';
  if (s.vehicle || s.authorized) return 'preparing';
  return 'available';
}

/** Whole minutes of reservation left, rounded up (40259 reads this back); 0 = none. */
export function reservationMinutesLeft(s: ConnectorState, nowMs: number): number {
  if (s.reservedUntilMs === null) return 0;
  return Math.max(0, Math.ceil((s.reservedUntilMs - nowMs) / MS_PER_MINUTE));
}

export type ConnectorEvent =
  /** charge_control = 1 (profile command `start`). */
  | { type: 'start' }
  /** charge_control = 2 (profile command `stop`). */
  | { type: 'stop'; nowMs: number }
  /** reservation_minutes = N > 0 (profile command `reserve`). */
  | { type: 'reserve'; minutes: number; nowMs: number }
  /** reservation_minutes = 0 (profile command `cancel_reservation`). */
  | { type: 'cancel-reservation' }
  /** current_limit = A (profile command `set_current_limit`). */
  | { type: 'set-current-limit'; amps: number }
  /** The physical world, through the control API: a car is plugged in or taken away. */
  | { type: 'plug' }
  | { type: 'unplug' }
  /** The charger reports a fault (status 5, fault_code) / recovers. */
  | { type: 'fault'; code: number }
  | { type: 'clear-fault' }
  /** Taken out of service or back (OCPP ChangeAvailability). */
  | { type: 'set-operative'; operative: boolean }
  /** Time passes: reservations expire, a finished car is unplugged by its driver. */
  | { type: 'tick'; nowMs: number; finishingMs: number };

/**
 * Why an event was refused. `value`: outside the range the charger accepts; `state`: a command
 * the connector cannot take in its status; `conflict`: a physical event that cannot happen
 * (plugging into an occupied connector). Over Modbus, value and state are exception 03.
 */
export type RefusalKind = 'value' | 'state' | 'conflict';

export type Transition =
  | { ok: true; state: ConnectorState }
  | { ok: false; kind: RefusalKind; reason: string };

const refuse = (kind: RefusalKind, reason: string): Transition => ({ ok: false, kind, reason });
const to = (state: ConnectorState): Transition => ({ ok: true, state });

/**
 * Applies one event. Commands follow docs/PROFILES.md ("Expected behaviour"): `start` moves
 * available/reserved/preparing to charging when a vehicle is connected (else preparing); `stop`
 * moves charging to finishing, and finishing ends (available) when the vehicle leaves; a
 * reservation counts down and returns to available at 0 unless a session started. What this
 * adds where the profile is silent is listed in docs/SIMULATOR.md ("Chargers").
 */
export function transition(s: ConnectorState, e: ConnectorEvent): Transition {
  const status = connectorStatus(s);
  switch (e.type) {
    case 'start': {
      if (status === 'charging') return to({ ...s, lastCommand: 1 }); // already: a no-op
      if (status !== 'available' && status !== 'preparing' && status !== 'reserved') {
        return refuse('state', `start refused while ${status}`);
      }
      const base = { ...s, lastCommand: 1 as const, reservedUntilMs: null };
      return to(
        s.vehicle
          ? { ...base, authorized: false, session: 'charging' }
          : { ...base, authorized: true },
      );
    }
    case 'stop': {
      if (status === 'charging') {
        return to({
          ...s,
          lastCommand: 2,
          session: 'finishing',
          finishingSinceMs: e.nowMs,
          authorized: false,
        });
      }
      if (status === 'finishing') return to({ ...s, lastCommand: 2 }); // already stopping
      if (status === 'preparing') return to({ ...s, lastCommand: 2, authorized: false });
      return refuse('state', `stop refused while ${status}: no session`);
    }
    case 'reserve': {
      if (
        !Number.isInteger(e.minutes) ||
        e.minutes < RESERVATION_MINUTES.min ||
        e.minutes > RESERVATION_MINUTES.max
      ) {
        return refuse(
          'value',
          `reservation of ${e.minutes} min is outside ${RESERVATION_MINUTES.min}..${RESERVATION_MINUTES.max}`,
        );
      }
      if (status !== 'available' && status !== 'reserved') {
        return refuse('state', `reserve refused while ${status}`);
      }
      return to({ ...s, reservedUntilMs: e.nowMs + e.minutes * MS_PER_MINUTE });
    }
    case 'cancel-reservation':
      // Always accepted: 0 is also what the register reads when nothing is reserved.
      return to({ ...s, reservedUntilMs: null });
    case 'set-current-limit': {
      if (
        !Number.isFinite(e.amps) ||
        e.amps < CURRENT_LIMIT_A.min ||
        e.amps > CURRENT_LIMIT_A.max
      ) {
        return refuse(
          'value',
          `current limit ${e.amps} A is outside ${CURRENT_LIMIT_A.min}..${CURRENT_LIMIT_A.max} A`,
        );
      }
      return to({ ...s, currentLimitA: e.amps });
    }
    case 'plug': {
      if (s.vehicle) return refuse('conflict', 'a vehicle is already plugged in');
      const next = { ...s, vehicle: true };
      // An authorized connector starts the session as soon as the vehicle arrives.
      if (s.authorized && s.faultCode === 0 && s.operative) {
        return to({ ...next, authorized: false, session: 'charging' });
      }
      return to(next);
    }
    case 'unplug': {
      if (!s.vehicle) return refuse('conflict', 'no vehicle is plugged in');
      return to({ ...s, vehicle: false, session: 'none', finishingSinceMs: null });
    }
    case 'fault': {
      if (!Number.isInteger(e.code) || e.code < 1 || e.code > 0xffff) {
        return refuse('value', `fault code ${e.code} is outside 1..65535`);
      }
      // A fault ends the session and drops any authorization or reservation.
      return to({
        ...s,
        faultCode: e.code,
        session: 'none',
        finishingSinceMs: null,
        authorized: false,
        reservedUntilMs: null,
      });
    }
    case 'clear-fault':
      return to({ ...s, faultCode: 0 });
    case 'set-operative': {
      if (e.operative) return to({ ...s, operative: true });
      if (status === 'charging') {
        return refuse('conflict', 'stop the session before taking the connector out of service');
      }
      return to({
        ...s,
        operative: false,
        session: 'none',
        finishingSinceMs: null,
        authorized: false,
        reservedUntilMs: null,
      });
    }
    case 'tick': {
      let next = s;
      if (next.reservedUntilMs !== null && next.reservedUntilMs <= e.nowMs) {
        next = { ...next, reservedUntilMs: null };
      }
      if (next.session === 'finishing' && next.finishingSinceMs !== null) {
        if (e.nowMs - next.finishingSinceMs >= e.finishingMs) {
          // The driver takes the car: the connector is free again.
          next = { ...next, session: 'none', finishingSinceMs: null, vehicle: false };
        }
      }
      return to(next);
    }
  }
}
