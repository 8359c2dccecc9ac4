/**
 * The state machine of a KEBA KeContact P30 station, pure: a state and an event in, the next
 * state or a refusal out. No clock, no I/O, no energy (keba-charger.ts adds those).
 *
 * The same station answers over Modbus TCP (keba-p30 profile) and over the UDP protocol, so the
 * facts here are named after both guides: the enable of `ena` / register 5014, the current of
 * `curr` / 5004, the energy limit of `setenergy` / 5010. Derived values (State, Plug, Max curr)
 * are computed from the facts, never stored, so they cannot disagree with them.
 */

/** KEBA "State" / register 1000. */
export const KEBA_STATE = {
  startup: 0,
  notReady: 1,
  ready: 2,
  charging: 3,
  error: 4,
  /** UDP guide: authorization rejected; Modbus guide: temporarily interrupted / suspended. */
  suspended: 5,
} as const;
export type KebaStateCode = (typeof KEBA_STATE)[keyof typeof KEBA_STATE];

/** Current `curr` / 5004 accepts, mA (both guides: 6000-63000; 0 suspends, keba-kecontact). */
export const KEBA_CURRENT_MA = { min: 6000, max: 63_000 } as const;
/** Largest `setenergy`, 0.1 Wh (OpenEMS: 0; 1-999999999). */
export const KEBA_ENERGY_LIMIT_MAX = 999_999_999;

export interface KebaStationState {
  /** A vehicle is connected (Plug bit 2). */
  vehicle: boolean;
  /** The plug is locked (Plug bit 1): while a vehicle is connected, until `unlock`. */
  locked: boolean;
  /** `ena 1` / 5014 = 1. */
  enabled: boolean;
  /** `curr` / 5004, mA; 0 = suspended. */
  currentUserMa: number;
  /** What the hardware allows (DIP switches, cable), mA: "Curr HW" / 1110. */
  currentHwMa: number;
  /** `setenergy`, 0.1 Wh; 0 = no limit. */
  energyLimit: number;
  /** Error code ("Error1" / 1006); > 0 = State 4. */
  errorCode: number;
}

export function initialKebaState(currentHwMa = 32_000): KebaStationState {
  return {
    vehicle: false,
    locked: false,
    enabled: true,
    currentUserMa: KEBA_CURRENT_MA.max,
    currentHwMa,
    energyLimit: 0,
    errorCode: 0,
  };
}

/** The current the station offers now, mA ("Max curr" / 1100); 0 when it offers nothing. */
export function offeredCurrentMa(s: KebaStationState, sessionEnergy: number): number {
  if (s.errorCode > 0 || !s.enabled || s.currentUserMa === 0) return 0;
  if (s.energyLimit > 0 && sessionEnergy >= s.energyLimit) return 0;
  return Math.min(s.currentUserMa, s.currentHwMa);
}

/**
 * State ("State" / 1000) in precedence order: an error hides everything; no vehicle is "not
 * ready"; a station that offers nothing (disabled, current 0, energy limit reached) is
 * suspended; a vehicle that takes power is charging, one that takes none (full) is "ready".
 */
export function kebaState(
  s: KebaStationState,
  sessionEnergy: number,
  vehicleTakesPower: boolean,
): KebaStateCode {
  if (s.errorCode > 0) return KEBA_STATE.error;
  if (!s.vehicle) return KEBA_STATE.notReady;
  if (offeredCurrentMa(s, sessionEnergy) === 0) return KEBA_STATE.suspended;
  return vehicleTakesPower ? KEBA_STATE.charging : KEBA_STATE.ready;
}

/** "Plug" / 1004: bit 0 cable at the station (a fixed cable: always), bit 1 locked, bit 2 vehicle. */
export function kebaPlug(s: KebaStationState): number {
  return 1 | (s.locked ? 2 : 0) | (s.vehicle ? 4 : 0);
}

export type KebaEvent =
  /** `ena 0|1`, 5014 = 0|1. */
  | { type: 'enable'; on: boolean }
  /** `curr N`, 5004 = N (mA). */
  | { type: 'current'; mA: number }
  /** `setenergy N` (0.1 Wh); 5010 = N / 100. */
  | { type: 'energy-limit'; value: number }
  /** `unlock`, 5012. */
  | { type: 'unlock'; charging: boolean }
  /** The physical world, through the control API. */
  | { type: 'plug' }
  | { type: 'unplug' }
  | { type: 'fault'; code: number }
  | { type: 'clear-fault' };

export type KebaTransition =
  | { ok: true; state: KebaStationState }
  | { ok: false; kind: 'value' | 'state' | 'conflict'; reason: string };

const to = (state: KebaStationState): KebaTransition => ({ ok: true, state });
const refuse = (kind: 'value' | 'state' | 'conflict', reason: string): KebaTransition => ({
  ok: false,
  kind,
  reason,
});

/**
 * Applies one event. Refusals: a current outside 0 or 6000-63000 mA, an energy limit outside
 * 0-999999999, a fault code outside 1-65535 (`value`); `unlock` while charging (`state`: the
 * keba-kecontact library says to disable charging first); plugging into an occupied station or
 * unplugging an empty one (`conflict`).
 */
export function kebaTransition(s: KebaStationState, e: KebaEvent): KebaTransition {
  switch (e.type) {
    case 'enable':
      return to({ ...s, enabled: e.on });
    case 'current':
      if (
        !Number.isInteger(e.mA) ||
        (e.mA !== 0 && (e.mA < KEBA_CURRENT_MA.min || e.mA > KEBA_CURRENT_MA.max))
      )
        return refuse('value', `current ${e.mA} mA is neither 0 nor 6000..63000`);
      return to({ ...s, currentUserMa: e.mA });
    case 'energy-limit':
      if (!Number.isInteger(e.value) || e.value < 0 || e.value > KEBA_ENERGY_LIMIT_MAX)
        return refuse('value', `energy limit ${e.value} is outside 0..${KEBA_ENERGY_LIMIT_MAX}`);
      return to({ ...s, energyLimit: e.value });
    case 'unlock':
      if (e.charging) return refuse('state', 'unlock refused while charging (disable first)');
      return to({ ...s, locked: false });
    case 'plug':
      if (s.vehicle) return refuse('conflict', 'a vehicle is already plugged in');
      return to({ ...s, vehicle: true, locked: true });
    case 'unplug':
      if (!s.vehicle) return refuse('conflict', 'no vehicle is plugged in');
      return to({ ...s, vehicle: false, locked: false });
    case 'fault':
      if (!Number.isInteger(e.code) || e.code < 1 || e.code > 0xffff)
        return refuse('value', `fault code ${e.code} is outside 1..65535`);
      return to({ ...s, errorCode: e.code });
    case 'clear-fault':
      return to({ ...s, errorCode: 0 });
  }
}
