import { DEFAULT_EDGE_WINDOW } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { parseEdgeConfig } from '../src/config/index.js';

const base = { edgeId: 'e1', mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' } };

const errorOf = (input: unknown): string => {
  try {
    parseEdgeConfig(input, 'edge.yaml');
  } catch (err) {
    expect((err as { code?: string }).code).toBe('GL_CONFIG_INVALID');
    return (err as Error).message;
  }
  return expect.unreachable('config was accepted');
};

describe('edge config: buses and device kinds', () => {
  it('accepts RTU buses, TCP devices, UDP and TCP JSON meters, with spec defaults', () => {
    const c = parseEdgeConfig({
      ...base,
      buses: [{ id: 'rs485-1', path: '/dev/ttyUSB0', baudRate: 19200 }],
      devices: [
        { id: 'm1', driver: 'modbus-rtu', bus: 'rs485-1', unitId: 1, profile: 'eastron-sdm120' },
        { id: 'm2', driver: 'modbus-rtu', bus: 'rs485-1', unitId: 2, profile: 'eastron-sdm630' },
        {
          id: 't1',
          driver: 'modbus-tcp',
          host: '10.0.0.9',
          maxInFlight: 4,
          profile: 'eastron-sdm630',
        },
        { id: 'u1', driver: 'udp-meter', meterId: 'MED-1', cpf: '52998224725' },
        { id: 'j1', driver: 'tcp-json-meter', meterId: 7 },
      ],
    });
    // Modbus over Serial Line v1.02 §2.5.1: 8 data bits, even parity, 1 stop bit by default.
    expect(c.buses[0]).toMatchObject({ dataBits: 8, parity: 'even', stopBits: 1 });
    expect(c.devices[0]).toMatchObject({
      retries: 1,
      offlineAfter: 3,
      offlineBackoffMaxMs: 60_000,
    });
    expect(c.udp).toEqual({ host: '127.0.0.1', port: 8080, maxBytes: 1024 });
    // Meters' wall-clock times are read in the site's zone; unknown meters are held pending.
    expect(c.timeZone).toBe('America/Bahia');
    expect(c.provisioning).toEqual({
      enabled: true,
      maxPending: 100,
      maxBufferedPerDevice: 10_000,
    });
    expect(c.provisioned).toEqual([]);
    expect(c.metrics).toEqual({ enabled: false, host: '127.0.0.1', port: 9464 });
  });

  it('names the key and the reason for each cross-reference error', () => {
    const msg = errorOf({
      ...base,
      buses: [
        { id: 'b1', path: '/dev/ttyS0', baudRate: 12345 },
        { id: 'b1', path: '/dev/ttyS0' },
      ],
      devices: [
        { id: 'm1', driver: 'modbus-rtu', bus: 'nope', unitId: 1, profile: 'p' },
        { id: 'm2', driver: 'modbus-rtu', bus: 'b1', unitId: 248, profile: 'p' },
        { id: 'm3', driver: 'modbus-rtu', bus: 'b1', unitId: 5, profile: 'p' },
        { id: 'm4', driver: 'modbus-rtu', bus: 'b1', unitId: 5, profile: 'p' },
        { id: 'g1', driver: 'modbus-tcp', host: 'gw', unitId: 1, maxInFlight: 2, profile: 'p' },
        { id: 'g2', driver: 'modbus-tcp', host: 'gw', unitId: 2, profile: 'p' },
        { id: 'u1', driver: 'udp-meter', meterId: 'A', cpf: '123' },
        { id: 'u2', driver: 'udp-meter', meterId: 'A' },
      ],
    });
    expect(msg).toMatch(/^edge\.yaml: /);
    expect(msg).toContain('buses.0.baudRate: must be one of 1200');
    expect(msg).toContain('devices.1.unitId: ');
    expect(msg).toContain('buses.1.id: duplicate bus id b1');
    expect(msg).toContain('buses.1.path: /dev/ttyS0 is already bus of another id');
    expect(msg).toContain('devices.6.cpf: must be 11 digits');
  });

  it('reports cross-references once the documents are well-formed', () => {
    const msg = errorOf({
      ...base,
      buses: [{ id: 'b1', path: '/dev/ttyS0' }],
      devices: [
        { id: 'm1', driver: 'modbus-rtu', bus: 'nope', unitId: 1, profile: 'p' },
        { id: 'm3', driver: 'modbus-rtu', bus: 'b1', unitId: 5, profile: 'p' },
        { id: 'm4', driver: 'modbus-rtu', bus: 'b1', unitId: 5, profile: 'p' },
        { id: 'g1', driver: 'modbus-tcp', host: 'gw', unitId: 1, maxInFlight: 2, profile: 'p' },
        { id: 'g2', driver: 'modbus-tcp', host: 'gw', unitId: 2, profile: 'p' },
        { id: 'u1', driver: 'udp-meter', meterId: 'A' },
        { id: 'u2', driver: 'udp-meter', meterId: 'A' },
      ],
    });
    expect(msg).toContain('devices.0.bus: no bus "nope" in buses (have: b1)');
    expect(msg).toContain('devices.2.unitId: unit 5 on bus b1 is already m3');
    expect(msg).toContain('devices.3.maxInFlight: devices g1, g2 share gw:502 (a gateway');
    expect(msg).toContain('devices.6.meterId: meter id A is already u1');
  });

  it('an unknown driver or key is rejected with its path', () => {
    expect(errorOf({ ...base, devices: [{ id: 'x', driver: 'bacnet' }] })).toContain(
      'devices.0.driver',
    );
    expect(errorOf({ ...base, buses: [{ id: 'b', path: '/dev/x', baud: 9600 }] })).toMatch(
      /buses\.0: .*baud/,
    );
  });

  it('KEBA UDP chargers: 7090 defaults, one listener, two devices at one address:port refused', () => {
    const c = parseEdgeConfig({
      ...base,
      devices: [
        { id: 'kc1', driver: 'keba-udp', host: '192.168.1.20' },
        { id: 'kc2', driver: 'keba-udp', host: '192.168.1.21', intervalMs: 10_000 },
      ],
    });
    expect(c.devices[0]).toEqual({
      id: 'kc1',
      driver: 'keba-udp',
      host: '192.168.1.20',
      port: 7090,
      intervalMs: 5000,
      timeoutMs: 1000,
      offlineAfter: 3,
    });
    expect(c.keba).toEqual({ host: '0.0.0.0', port: 7090, maxBytes: 1024, pauseMs: 100 });
    const msg = errorOf({
      ...base,
      keba: { port: 70_000 },
      devices: [
        { id: 'kc1', driver: 'keba-udp', host: '10.0.0.5' },
        { id: 'kc2', driver: 'keba-udp', host: '10.0.0.5', port: 7090 },
        { id: 'kc3', driver: 'keba-udp', host: '10.0.0.6', profile: 'keba-p30' },
      ],
    });
    expect(msg).toContain('keba.port');
    expect(msg).toContain('devices.2: ');
    expect(
      errorOf({
        ...base,
        devices: [
          { id: 'kc1', driver: 'keba-udp', host: '10.0.0.5' },
          { id: 'kc2', driver: 'keba-udp', host: '10.0.0.5', port: 7090 },
        ],
      }),
    ).toContain('devices.1.host: 10.0.0.5:7090 is already kc1');
  });
});

describe('edge config: reading window and listener limits', () => {
  it('defaults: readings from 2000-01-01 to 5 min past the clock; 256 connections, 60 s idle', () => {
    const c = parseEdgeConfig(base);
    expect(c.readings).toEqual({
      notBefore: '2000-01-01',
      maxFutureSkewSeconds: 300,
      logIntervalSeconds: 60,
    });
    // The shared edge window is the one source of these defaults.
    expect(Date.parse(`${c.readings.notBefore}T00:00:00Z`)).toBe(DEFAULT_EDGE_WINDOW.notBeforeMs);
    expect(c.readings.maxFutureSkewSeconds * 1000).toBe(DEFAULT_EDGE_WINDOW.maxFutureSkewMs);
    expect(c.tcpJson).toMatchObject({ maxConnections: 256, idleTimeoutMs: 60_000 });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names the key of a bad window, limit or secret', () => {
    const msg = errorOf({
      ...base,
      readings: { notBefore: '2024-02-30', maxFutureSkewSeconds: -1, window: 5 },
      tcpJson: { maxConnections: 0, idleTimeoutMs: 10, idle: 1 },
    });
    expect(msg).toContain('readings.notBefore: must be a real date from 1970-01-01 on');
    expect(msg).toContain('readings.maxFutureSkewSeconds');
    expect(msg).toMatch(/readings: .*window/);
    expect(msg).toContain('tcpJson.maxConnections');
    expect(msg).toContain('tcpJson.idleTimeoutMs');
    expect(msg).toMatch(/tcpJson: .*idle/);
    for (const notBefore of ['1969-12-31', '2000-1-1', '2000-01-01T00:00:00Z'])
      expect(errorOf({ ...base, readings: { notBefore } })).toContain('readings.notBefore');

    const secrets = errorOf({
      ...base,
      devices: [
        { id: 'u1', driver: 'udp-meter', meterId: 'M', secret: 'short' },
        { id: 'j1', driver: 'tcp-json-meter', meterId: 1, secret: 'has,a,comma,in,it,xx' },
        { id: 'j2', driver: 'tcp-json-meter', meterId: 2, secret: 'has a space in it xx' },
      ],
    });
    for (const key of ['devices.0.secret', 'devices.1.secret', 'devices.2.secret'])
      expect(secrets).toContain(`${key}: must be 16-128 of`);
    // The message says what is wrong, never what the secret was.
    expect(secrets).not.toContain('has,a,comma');
  });

  it('maxConnections below the number of TCP JSON meters is refused', () => {
    const devices = [1, 2, 3].map((n) => ({
      id: `j${n}`,
      driver: 'tcp-json-meter' as const,
      meterId: n,
    }));
    expect(errorOf({ ...base, tcpJson: { maxConnections: 2 }, devices })).toContain(
      'tcpJson.maxConnections: 2 is fewer than the 3 tcp-json-meter devices',
    );
    expect(
      parseEdgeConfig({ ...base, tcpJson: { maxConnections: 3 }, devices }).devices,
    ).toHaveLength(3);
  });
});
