import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Central, mintToken, startCentral, upsertEdgeCredential } from '@gridlink/central';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { type Simulator, startSimulator } from '@gridlink/firmware-sim';
import { FakeClock } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * One clock through the whole system (issue #15 item 8): a simulated meter, a real edge and a
 * real central all run on one FakeClock set five years ahead of the wall clock, injected through
 * startSimulator, startEdge and startCentral. Readings polled over Modbus TCP are stamped with
 * that clock's time, pass the edge's reading window and the central's (by that clock, not the
 * wall clock: on the wall clock they would be five years in the future and set aside), and the
 * API shows them, the edge's status time, and "now" as the fake clock's.
 */
const T0 = Date.parse('2031-06-01T00:00:00.000Z');
const EDGE = 'edge-clock';

describe('one injected clock: simulator → edge → central → API', () => {
  const clock = new FakeClock(T0);
  let dir: string;
  let central: Central;
  let sim: Simulator;
  let edge: EdgeAgent;
  let token: string;

  const api = async <T>(path: string) => {
    const res = await fetch(`${central.http.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as { items: T[] } };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-one-clock-'));
    const silent = pino({ level: 'silent' });
    central = await startCentral(
      { dataDir: join(dir, 'central'), http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 } },
      { logger: silent, clock, scheduler: false },
    );
    token = await mintToken(central.database.db, { role: 'admin', now: new Date(T0) });
    sim = await startSimulator({ meters: 1, modbusTcp: { port: 0 }, clock, seed: 3 });
    const secret = await upsertEdgeCredential(central.database.db, EDGE);
    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        mqtt: { url: central.mqttUrl, password: secret },
        // One reading a batch: sent when it is logged, no batching timer to step.
        uplink: { maxReadings: 1 },
        devices: sim.devices.map((d) => ({
          id: d.deviceId,
          profile: 'eastron-sdm630',
          driver: 'modbus-tcp' as const,
          host: '127.0.0.1',
          port: sim.port,
          unitId: d.unitId,
          intervalMs: 60_000,
          maxGap: 60,
        })),
      },
      { logger: silent, clock },
    );
  });

  afterAll(async () => {
    await edge?.close().catch(() => undefined);
    await sim?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('readings carry the fake time end to end and the API answers by the same clock', async () => {
    for (let minute = 1; minute <= 3; minute++) {
      clock.advance(60_000);
      await expect.poll(() => edge.log.stats().ackedUpTo).toBe(minute);
    }
    await central.ingest.idle();
    // `to` is exclusive: one second on, the reading of minute 3 is in the past (no poll is due).
    clock.advance(1_000);

    const meters = await api<{ id: number; edgeId: string; deviceId: string }>('/api/v1/meters');
    expect(meters.status).toBe(200);
    const meter = meters.body.items.find((m) => m.edgeId === EDGE);
    expect(meter?.deviceId).toBe('meter-1');
    // No `from`/`to`: the last 24 h before the central's now, the fake clock's.
    const readings = await api<{ ts: string }>(`/api/v1/meters/${meter?.id}/readings`);
    expect(readings.status).toBe(200);
    expect(readings.body.items.map((r) => r.ts)).toEqual(
      [1, 2, 3].map((m) => new Date(T0 + m * 60_000).toISOString()),
    );

    const edges = await api<{ id: string; ingest: unknown; status: { at?: number } | null }>(
      '/api/v1/edges',
    );
    const row = edges.body.items.find((e) => e.id === EDGE);
    expect(row?.ingest).toMatchObject({ upTo: 3, quarantined: 0 });
    // The edge's status is stamped by its clock: the fake time, not the wall clock's.
    expect(row?.status?.at).toBeGreaterThanOrEqual(T0);
    expect(row?.status?.at).toBeLessThanOrEqual(clock.now());
    const quarantine = await api<unknown>(`/api/v1/edges/${EDGE}/quarantine`);
    expect(quarantine.body.items).toEqual([]);
  });
});
