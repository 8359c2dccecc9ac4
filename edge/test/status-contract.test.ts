/**
 * The status contract: what a real agent publishes on `gl/v1/edges/{edgeId}/status` parses with
 * the shared `edgeStatusSchema` the central uses, and parsing loses nothing (the schema strips
 * unknown keys, so a field the central does not know would vanish). Every driver kind is
 * configured: Modbus TCP (a peer on port 0 that answers, so link counters move), KEBA UDP, UDP and
 * TCP JSON meters (listeners on port 0). On main the Modbus link counters went out camelCase
 * (`crcErrors`, `queueDepth`…) and the central refused every such status with GL_PAYLOAD_SCHEMA.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeStatusSchema } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';

describe('edge status contract', () => {
  const peer = new ModbusTcpPeer();
  let agent: EdgeAgent;

  beforeAll(async () => {
    await peer.listen();
    const modbus = (id: string, unitId: number, profile: string) => ({
      id,
      driver: 'modbus-tcp' as const,
      host: '127.0.0.1',
      port: peer.port,
      unitId,
      profile,
      intervalMs: 100,
      retries: 0,
    });
    agent = await startEdge(
      {
        edgeId: 'e-contract',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-contract-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        udp: { port: 0 },
        tcpJson: { port: 0 },
        keba: { port: 0 },
        devices: [
          modbus('m1', 1, 'eastron-sdm630'),
          modbus('ch1', 2, 'gridlink-charger'),
          { id: 'keba1', driver: 'keba-udp', host: '127.0.0.1', port: 7090 },
          { id: 'u1', driver: 'udp-meter', meterId: 'U-1' },
          { id: 't1', driver: 'tcp-json-meter', meterId: 7 },
        ],
      },
      { logger: pino({ level: 'silent' }) },
    );
    await peer.until(() => peer.countFor(1) >= 2 && peer.countFor(2) >= 2);
  });
  afterAll(async () => {
    await agent?.close();
    await peer.close();
  });

  it('parses with the shared schema, as the central parses it, and loses nothing', () => {
    const wire = JSON.parse(JSON.stringify(agent.status()));
    const parsed = edgeStatusSchema.safeParse(wire);
    expect(parsed.error?.issues).toBeUndefined();
    expect(parsed.data).toEqual(wire);
  });

  it('names every link counter in snake_case, for every driver', () => {
    const { channels } = agent.status();
    expect(new Set(channels.map((c) => c.driver))).toEqual(
      new Set(['modbus-tcp', 'keba-udp', 'udp-meter', 'tcp-json-meter']),
    );
    for (const c of channels)
      for (const name of Object.keys(c.counters)) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
    const link = channels.find((c) => c.driver === 'modbus-tcp');
    expect(Object.keys(link?.counters ?? {})).toEqual(
      expect.arrayContaining(['crc_errors', 'bad_frames', 'queue_depth', 'in_flight']),
    );
    expect(link?.counters.transactions).toBeGreaterThan(0);
  });

  it("carries each device's kind, driver and profile", () => {
    const devices = agent.status().devices ?? [];
    const of = (id: string) => devices.find((d) => d.deviceId === id);
    expect(of('m1')).toMatchObject({
      kind: 'meter',
      driver: 'modbus-tcp',
      profile: 'eastron-sdm630',
    });
    expect(of('ch1')).toMatchObject({
      kind: 'charger',
      driver: 'modbus-tcp',
      profile: 'gridlink-charger',
    });
    expect(of('keba1')).toMatchObject({ kind: 'charger', driver: 'keba-udp' });
    expect(of('keba1')?.profile).toBeUndefined();
    expect(of('u1')).toMatchObject({ kind: 'meter', driver: 'udp-meter' });
    expect(of('t1')).toMatchObject({ kind: 'meter', driver: 'tcp-json-meter' });
  });
});
