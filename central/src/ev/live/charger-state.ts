import type { EvPointState } from '../../storage/index.js';

/**
 * What one charger reading says about its point (docs/EV.md, "Live state"): the OCPP 1.6 state,
 * the fault code, power and the two energy registers as integer Wh. A field the reading lacks (a
 * block that failed: quality `uncertain`) is null and leaves the point's column as it was.
 */
export interface ChargerFacts {
  state: EvPointState | null;
  faultCode: number | null;
  powerW: number | null;
  sessionEnergyWh: number | null;
  energyTotalWh: number | null;
}

/** Which status enum a charger speaks: the GridLink map's (OCPP names) or KEBA P30's. */
export type ChargerDialect = 'gridlink' | 'keba';

/** `status` of `gridlink-charger` (input register 30001): OCPP 1.6 ChargePointStatus in order. */
export const GRIDLINK_STATES: Readonly<Record<number, EvPointState>> = {
  0: 'available',
  1: 'preparing',
  2: 'charging',
  3: 'finishing',
  4: 'reserved',
  5: 'faulted',
  6: 'unavailable',
};

/** KEBA's plug register/key: bit 2 (4) = the cable is in the vehicle. */
const KEBA_PLUG_VEHICLE = 4;

/**
 * KEBA P30 `status` (register 1000 / UDP `State`) with its `plug` bits and session energy:
 *
 * | KEBA | means | point state |
 * |---|---|---|
 * | 0 start-up | booting | unavailable |
 * | 1 not ready | no vehicle (or not enabled) | available; preparing when `plug` says a vehicle is connected |
 * | 2 ready | vehicle connected, not drawing | preparing; finishing once the session delivered energy |
 * | 3 charging | | charging |
 * | 4 error | | faulted (`fault_code` = Error1) |
 * | 5 suspended / authorization rejected | vehicle connected, nothing offered (`ena 0`, current 0, energy limit reached) | preparing; finishing once the session delivered energy |
 *
 * OCPP's SuspendedEV/SuspendedEVSE have no place in the point states: a stopped session with
 * the car still plugged is `finishing`, as on the GridLink map after `stop`.
 */
export function kebaState(
  status: number,
  plug: number | undefined,
  sessionEnergyWh: number | null,
): EvPointState {
  const delivered = sessionEnergyWh !== null && sessionEnergyWh > 0;
  switch (status) {
    case 0:
      return 'unavailable';
    case 1:
      return plug !== undefined && (plug & KEBA_PLUG_VEHICLE) !== 0 ? 'preparing' : 'available';
    case 2:
    case 5:
      return delivered ? 'finishing' : 'preparing';
    case 3:
      return 'charging';
    case 4:
      return 'faulted';
    default:
      return 'unknown';
  }
}

/** kWh (the readings' unit) as whole Wh; null when absent or not a finite number. */
function wh(kWh: number | undefined): number | null {
  return kWh === undefined || !Number.isFinite(kWh) ? null : Math.round(kWh * 1000);
}

function num(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : v;
}

/** The dialect of a device by its profile or driver (devices table). */
export function dialectOf(device: {
  profile: string | null;
  driver: string | null;
}): ChargerDialect {
  return device.profile === 'keba-p30' || device.driver === 'keba-udp' ? 'keba' : 'gridlink';
}

/**
 * One reading's values -> the facts. An enum value outside the table is `unknown` (a firmware
 * the map does not know); a reading without `status` carries no state.
 */
export function chargerFacts(
  dialect: ChargerDialect,
  values: Readonly<Record<string, number>>,
): ChargerFacts {
  const sessionEnergyWh = wh(values.session_energy);
  const status = values.status;
  let state: EvPointState | null = null;
  if (status !== undefined)
    state =
      dialect === 'keba'
        ? kebaState(status, values.plug, sessionEnergyWh)
        : (GRIDLINK_STATES[status] ?? 'unknown');
  return {
    state,
    faultCode: num(values.fault_code),
    powerW: num(values.power),
    sessionEnergyWh,
    energyTotalWh: wh(values.energy_total),
  };
}
