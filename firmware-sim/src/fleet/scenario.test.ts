import { describe, expect, it } from 'vitest';
import { parseScenario, parseScenarioYaml } from './scenario.js';

describe('scenario: chargers, cars, plugs, driving, UDP pacing', () => {
  it('parses the new keys with their defaults; old scenarios keep theirs', () => {
    const s = parseScenarioYaml(`
chargers: { count: 2 }
cars: { count: 3, broker: { port: 1883 }, password: "pw-{plate}" }
plugs: { car-1: charger-1 }
driving: { car-3: 90 }
udpMeters: { count: 4, target: { port: 8080 } }
`);
    expect(s.chargers).toEqual({
      host: '127.0.0.1',
      port: 0,
      fallback: false,
      count: 2,
      perPort: 247,
      profile: 'gridlink-charger',
      currentLimitA: 32,
      phases: 1,
      voltageV: 220,
      finishingMs: 30_000,
    });
    expect(s.cars).toEqual({
      count: 3,
      broker: { host: '127.0.0.1', port: 1883 },
      password: 'pw-{plate}',
      intervalMs: 5000,
      models: ['Tesla Model 3', 'Nissan Leaf', 'Chevrolet Bolt EV'],
      batteryPct: null,
    });
    expect(s.plugs).toEqual({ 'car-1': 'charger-1' });
    expect(s.driving).toEqual({ 'car-3': 90 });
    expect(s.udpMeters?.paceMs).toBe(10);

    const old = parseScenario({ modbusTcp: { meters: 1 } });
    expect(old).toMatchObject({ chargers: null, cars: null, plugs: {}, driving: {} });
  });

  it('journey clients (seed C): defaults and the target', () => {
    expect(
      parseScenario({ journeyClients: { count: 150, target: { port: 8889 } } }).journeyClients,
    ).toEqual({
      count: 150,
      target: { host: '127.0.0.1', port: 8889 },
      repeatMs: 0,
      stationsPerJourney: 5,
      timeoutMs: 10_000,
      avoidStations: [],
    });
    expect(parseScenario({}).journeyClients).toBeNull();
  });

  it('KEBA stations: UDP by default, 3 × 230 V, 32 A hardware, no vehicle', () => {
    expect(parseScenario({ kebaChargers: { count: 2 } }).kebaChargers).toEqual({
      transport: 'udp',
      host: '127.0.0.1',
      port: 0,
      count: 2,
      phases: 3,
      voltageV: 230,
      currentHwA: 32,
      vehicle: false,
    });
    expect(
      parseScenario({ kebaChargers: { count: 1, transport: 'modbus-tcp', vehicle: true } })
        .kebaChargers,
    ).toMatchObject({ transport: 'modbus-tcp', vehicle: true });
  });

  it.each([
    [
      { kebaChargers: { count: 1, transport: 'tcp' } },
      'kebaChargers.transport: must be udp or modbus-tcp, got "tcp"',
    ],
    [
      { kebaChargers: { count: 1, currentHwA: 5 } },
      'kebaChargers.currentHwA: must be an integer 6..63',
    ],
    [
      { kebaChargers: { count: 3, port: 65534 } },
      'kebaChargers.port: 3 ports from 65534 pass 65535',
    ],
    [{ kebaChargers: { count: 1, perPort: 2 } }, 'kebaChargers.perPort: unknown key'],
    [
      { chargers: { count: 1, currentLimitA: 40 } },
      'chargers.currentLimitA: must be a number 6..32 (A), got 40',
    ],
    [{ chargers: { count: 1, phases: 2 } }, 'chargers.phases: must be 1 or 3, got 2'],
    [
      { chargers: { count: 1, profile: 'eastron-sdm630' } },
      'chargers.profile: eastron-sdm630 is a meter, not a charger',
    ],
    [{ chargers: { count: 0 } }, 'chargers.count: must be an integer 1..100000, got 0'],
    [{ chargers: { count: 1, plugs: 2 } }, 'chargers.plugs: unknown key'],
    [
      { chargers: { count: 300, perPort: 1, port: 65300 } },
      'chargers.port: 300 ports from 65300 pass 65535',
    ],
    [{ cars: { count: 1, broker: { port: 1883 } } }, 'cars.password: must be a non-empty string'],
    [{ cars: { count: 1, password: 'x' } }, 'cars.broker: must be a mapping, got undefined'],
    [
      { cars: { count: 1, password: 'x', broker: {} } },
      'cars.broker.port: must be an integer 1..65535',
    ],
    [
      { cars: { count: 1, password: 'x', broker: { port: 1 }, models: ['Nissan Leaf', 'Fusca'] } },
      'cars.models[1]: unknown car model "Fusca"',
    ],
    [
      { cars: { count: 1, password: 'x', broker: { port: 1 }, batteryPct: 101 } },
      'cars.batteryPct: must be a number 0..100, got 101',
    ],
    [{ journeyClients: { count: 1 } }, 'journeyClients.target: must be a mapping'],
    [
      { journeyClients: { count: 0, target: { port: 8888 } } },
      'journeyClients.count: must be an integer 1..100000, got 0',
    ],
    [
      { journeyClients: { count: 1, target: { port: 8888 }, avoidStations: ['x'] } },
      'journeyClients.avoidStations: must be a list of station ids',
    ],
    [{ plugs: { 'car-1': 5 } }, 'plugs.car-1: must be a non-empty string'],
    [{ driving: { 'car-1': -5 } }, 'driving.car-1: must be a number ≥ 0, got -5'],
    [
      { udpMeters: { count: 1, target: { port: 1 }, paceMs: 0 } },
      'udpMeters.paceMs: must be an integer 1..60000, got 0',
    ],
    [
      { faults: { 'charger-1': { mode: 'connector-fault', faultCode: 0 } } },
      'faults.charger-1.faultCode: must be an integer 1..65535, got 0',
    ],
  ])('refuses %j: %s', (input, message) => {
    expect(() => parseScenario(input)).toThrow(
      expect.objectContaining({ code: 'GL_CONFIG_INVALID' }),
    );
    expect(() => parseScenario(input)).toThrow(message);
  });
});
