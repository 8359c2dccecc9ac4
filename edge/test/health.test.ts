/**
 * Health: per-device and per-link counters on a real /metrics endpoint (own prom-client
 * Registry, node:http on port 0) and in the edge status, from a running agent polling a good
 * and a silent device behind one Modbus TCP link.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';

const metric = (text: string, name: string, labels: Record<string, string>): number => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    const have = inner.split(',');
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return Number.NaN;
};

describe('edge health: /metrics and status', () => {
  const peer = new ModbusTcpPeer();
  let agent: EdgeAgent;
  let link: string;

  beforeAll(async () => {
    await peer.listen();
    link = `127.0.0.1:${peer.port}`;
    peer.set(2, { kind: 'timeout' });
    // The silent device's timeout is configuration, not an assertion; the good one gets room.
    const device = (id: string, unitId: number, timeoutMs: number) => ({
      id,
      driver: 'modbus-tcp' as const,
      host: '127.0.0.1',
      port: peer.port,
      unitId,
      profile: 'gridlink-charger',
      intervalMs: 100,
      timeoutMs,
      retries: 0,
      offlineAfter: 1,
      offlineBackoffMaxMs: 100,
    });
    agent = await startEdge(
      {
        edgeId: 'e-health',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-health-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        metrics: { enabled: true, port: 0 },
        devices: [device('ch1', 1, 5000), device('ch2', 2, 50)],
      },
      { logger: pino({ level: 'silent' }) },
    );
    // Two blocks per poll (input 0..7, holding 256..258): 7 requests for unit 1 means at least
    // three polls finished; unit 2 never answers.
    await peer.until(() => peer.countFor(1) >= 7 && peer.countFor(2) >= 3);
  });
  afterAll(async () => {
    await agent?.close();
    await peer.close();
  });

  it('serves device, link and latency metrics on /metrics (and 404 elsewhere)', async () => {
    expect(agent.metricsPort).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${agent.metricsPort}`;
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const ch1 = { device: 'ch1', driver: 'modbus-tcp' };
    const ch2 = { device: 'ch2', driver: 'modbus-tcp' };
    expect(metric(text, 'gridlink_edge_device_polls_total', ch1)).toBeGreaterThanOrEqual(3);
    expect(metric(text, 'gridlink_edge_device_online', ch1)).toBe(1);
    expect(metric(text, 'gridlink_edge_device_online', ch2)).toBe(0);
    expect(
      metric(text, 'gridlink_edge_device_errors_total', { ...ch2, code: 'GL_MODBUS_TIMEOUT' }),
    ).toBeGreaterThanOrEqual(2);
    const linkLabels = { driver: 'modbus-tcp', link };
    const outcome = (o: string) =>
      metric(text, 'gridlink_edge_link_transactions_total', { ...linkLabels, outcome: o });
    expect(outcome('ok')).toBeGreaterThanOrEqual(6);
    expect(outcome('timeout')).toBeGreaterThanOrEqual(2);
    expect(outcome('crc_error')).toBe(0);
    expect(
      metric(text, 'gridlink_edge_modbus_latency_seconds_count', { link }),
    ).toBeGreaterThanOrEqual(8);
    expect(text).toContain('gridlink_edge_up 1');
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });

  it('puts the same counters in the edge status', () => {
    const s = agent.status();
    expect(s.devices?.find((d) => d.deviceId === 'ch1')).toMatchObject({
      online: true,
      lastError: null,
    });
    expect(s.devices?.find((d) => d.deviceId === 'ch2')?.lastError).toMatch(/^GL_MODBUS_TIMEOUT: /);
    const l = s.channels.find((c) => c.channel === link);
    expect(l?.driver).toBe('modbus-tcp');
    expect(l?.counters.timeouts).toBeGreaterThanOrEqual(2);
    expect(l?.counters.ok).toBeGreaterThanOrEqual(6);
  });
});
