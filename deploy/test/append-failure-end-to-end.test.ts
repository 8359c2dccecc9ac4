import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Central } from '@gridlink/central';
import { type EdgeAgent, type ReadingLog, startEdge } from '@gridlink/edge';
import { type Fleet, parseScenario, startFleet } from '@gridlink/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson, startCentralWithManualJobs } from './helpers/central-harness.js';

/**
 * Readings the edge's log refuses are drops an operator sees (issue #16, "edge that speaks up"):
 * the simulator's SDM630 over Modbus TCP → a real edge whose log port (decorated, as the soak's
 * poison fault does) fails every append → after its retries the edge counts those readings as
 * dropped → its status over MQTT → the central → `/api/v1/edges` shows `status.log.dropped`.
 * On main the sink logged `{lost: n}` and the readings were in no count anywhere.
 */
const EDGE = 'edge-append-fails';
const silent = pino({ level: 'silent' });

/** `append` always fails: a disk that went away under the edge. */
const brokenDisk = (log: ReadingLog): ReadingLog =>
  new Proxy(log, {
    get(target, key) {
      if (key === 'append') return () => Promise.reject(new Error('EIO: i/o error, write'));
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

describe('append failures end to end', () => {
  let dir: string;
  let central: Central;
  let admin: string;
  let fleet: Fleet;
  let edge: EdgeAgent;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-append-fails-'));
    ({ central, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    fleet = await startFleet(parseScenario({ seed: 5, modbusTcp: { port: 0, meters: 1 } }), {
      logger: silent,
    });
    const m = fleet.modbusTcp[0] as { host: string; port: number };
    const cred = await requestJson(
      central.http.url,
      'PUT',
      `/api/v1/edges/${EDGE}/credential`,
      admin,
    );
    expect(cred.status).toBe(200);
    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        mqtt: { url: central.mqttUrl, password: cred.body.secret },
        statusIntervalMs: 1000,
        devices: [
          {
            id: 'meter-1',
            driver: 'modbus-tcp',
            profile: 'eastron-sdm630',
            host: m.host,
            port: m.port,
            unitId: 1,
            intervalMs: 200,
            retries: 0,
          },
        ],
      },
      { logger: silent, decorate: { log: brokenDisk } },
    );
  });

  afterAll(async () => {
    await edge?.close().catch(() => undefined);
    await fleet?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('/api/v1/edges shows the readings the log refused as dropped', async () => {
    const dropped = async () => {
      const res = await requestJson(central.http.url, 'GET', '/api/v1/edges', admin);
      const view = res.body.items.find((e: { id: string }) => e.id === EDGE);
      return (view?.status?.log?.dropped as number | undefined) ?? 0;
    };
    await expect.poll(dropped, { timeout: 30_000 }).toBeGreaterThan(0);
    // None of them got a seq: nothing is in the log, nothing was sent, no gap to explain.
    expect(edge.log.stats()).toMatchObject({ lastSeq: 0, dropped: 0 });
    expect(edge.status().log?.dropped).toBeGreaterThanOrEqual(await dropped());
  });
});
