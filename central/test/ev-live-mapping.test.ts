import { describe, expect, it } from 'vitest';
import {
  availabilityOf,
  chargerFacts,
  dialectOf,
  GRIDLINK_STATES,
  kebaState,
} from '../src/ev/live/index.js';

describe('charger status -> point state (docs/EV.md, "Live state")', () => {
  it('maps the GridLink map enum 0..6 onto the OCPP names; other values are unknown', () => {
    const got = [0, 1, 2, 3, 4, 5, 6, 7, 65535].map(
      (status) => chargerFacts('gridlink', { status }).state,
    );
    expect(got).toEqual([
      'available',
      'preparing',
      'charging',
      'finishing',
      'reserved',
      'faulted',
      'unavailable',
      'unknown',
      'unknown',
    ]);
    expect(Object.keys(GRIDLINK_STATES)).toHaveLength(7);
  });

  it('maps KEBA P30 states with the plug bits and the session energy', () => {
    const noEnergy = null;
    expect(kebaState(0, 1, noEnergy)).toBe('unavailable'); // start-up
    expect(kebaState(1, 1, noEnergy)).toBe('available'); // not ready, cable at station only
    expect(kebaState(1, 3, noEnergy)).toBe('available'); // locked at station, no vehicle
    expect(kebaState(1, 5, noEnergy)).toBe('preparing'); // vehicle connected
    expect(kebaState(1, 7, noEnergy)).toBe('preparing');
    expect(kebaState(1, undefined, noEnergy)).toBe('available'); // no plug value
    expect(kebaState(2, 7, 0)).toBe('preparing'); // ready, nothing delivered yet
    expect(kebaState(2, 7, 1200)).toBe('finishing'); // ready after a session delivered energy
    expect(kebaState(3, 7, 10)).toBe('charging');
    expect(kebaState(4, 7, 10)).toBe('faulted');
    expect(kebaState(5, 7, 0)).toBe('preparing'); // suspended before any energy (ena 0)
    expect(kebaState(5, 7, 3000)).toBe('finishing'); // suspended after (stop, energy limit)
    expect(kebaState(9, 7, 0)).toBe('unknown');
  });

  it('turns kWh registers into whole Wh and keeps power in W; missing fields are null', () => {
    expect(
      chargerFacts('keba', {
        status: 3,
        plug: 7,
        fault_code: 0,
        power: 11040.5,
        session_energy: 1.2345,
        energy_total: 10500.0004,
      }),
    ).toEqual({
      state: 'charging',
      faultCode: 0,
      powerW: 11040.5,
      sessionEnergyWh: 1235, // 1.2345 kWh, half-up at the Wh
      energyTotalWh: 10500000,
    });
    expect(chargerFacts('gridlink', { power: 7040 })).toEqual({
      state: null,
      faultCode: null,
      powerW: 7040,
      sessionEnergyWh: null,
      energyTotalWh: null,
    });
  });

  it('tells KEBA from the GridLink map by profile or driver', () => {
    expect(dialectOf({ profile: 'keba-p30', driver: 'modbus-tcp' })).toBe('keba');
    expect(dialectOf({ profile: null, driver: 'keba-udp' })).toBe('keba');
    expect(dialectOf({ profile: 'gridlink-charger', driver: 'modbus-tcp' })).toBe('gridlink');
  });

  it('derives disponivel: active, not in maintenance, available (unknown only without a charger)', () => {
    const p = { pointId: 7, active: true, maintenance: false, bound: true };
    expect(availabilityOf({ ...p, state: 'available' })).toEqual({
      ponto_id: 7,
      disponivel: true,
      em_manutencao: false,
    });
    expect(availabilityOf({ ...p, state: 'unknown' }).disponivel).toBe(false);
    expect(availabilityOf({ ...p, bound: false, state: 'unknown' }).disponivel).toBe(true);
    expect(availabilityOf({ ...p, state: 'reserved' }).disponivel).toBe(false);
    expect(availabilityOf({ ...p, active: false, state: 'available' }).disponivel).toBe(false);
    expect(availabilityOf({ ...p, maintenance: true, state: 'available' })).toEqual({
      ponto_id: 7,
      disponivel: false,
      em_manutencao: true,
    });
  });
});
