import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Central } from '@gridlink/central';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { createManualClock, type Fleet, parseScenario, startFleet } from '@gridlink/firmware-sim';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  controlJson,
  type JobTask,
  requestJson,
  startCentralWithManualJobs,
} from './helpers/central-harness.js';

/**
 * A meter tampered with through the simulator's fault layer, all real parts: a simulated SDM630
 * over Modbus TCP, its served import register stepped back by the control API's `tamper` fault
 * → edge poller → LevelDB log → MQTT → aedes in the central → PGlite → the `alarms.sweep` job
 * (fired by hand at the instant cron would) rolls the meter up, finds the register going
 * backwards and raises `meter.tamper`, published on the customer's topic
 * `gl/v1/customers/{id}/alarms`; the customer then sees and acknowledges it through the API.
 *
 * The manual clock moves the meter's energy; the edge stamps readings with its own clock (real
 * time), which is all the tamper rule needs: the order of the register values.
 */
const EDGE = 'edge-tamper';
const DEVICE = 'meter-1';
const DOCUMENT = '529.982.247-25';
const PASSWORD = 'senha-da-ana-123';

interface AlarmMessage {
  transition: string;
  alarm: {
    id: number;
    type: string;
    severity: string;
    state: string;
    source: string;
    customerId: number | null;
    details: Record<string, unknown>;
  };
}

/** Wh of a kWh value as the central reads it: its decimal text, half to even at the Wh. */
function wh(kwh: number): number {
  const [int, frac = ''] = String(kwh).split('.');
  const scale = 10n ** BigInt(frac.length);
  const scaled = BigInt(int as string) * scale + BigInt(frac || '0');
  if (frac.length <= 3) return Number((scaled * 1000n) / scale);
  const div = 10n ** BigInt(frac.length - 3);
  const q = scaled / div;
  const r = scaled % div;
  return Number(r * 2n > div || (r * 2n === div && q % 2n === 1n) ? q + 1n : q);
}

describe('a meter tampered in the simulator raises meter.tamper from live data', () => {
  let dir: string;
  let central: Central;
  let edge: EdgeAgent;
  let fleet: Fleet;
  let admin: string;
  const clock = createManualClock(Date.parse('2026-03-10T12:00:00Z'));
  let jobs: Map<string, JobTask>;
  const messages: AlarmMessage[] = [];
  /** Resolves the waiter whose predicate a new message satisfies. */
  const waiters: Array<{ pred: (m: AlarmMessage) => boolean; resolve: (m: AlarmMessage) => void }> =
    [];

  const api = (method: string, path: string, token: string, body?: unknown) =>
    requestJson(`${central.http.url}/api/v1`, method, path, token, body);
  const control = (method: string, path: string, body?: unknown) =>
    controlJson<{ served: Record<string, number> }>(fleet.control?.url ?? '', method, path, body);
  const published = (pred: (m: AlarmMessage) => boolean) =>
    new Promise<AlarmMessage>((resolve) => {
      const seen = messages.find(pred);
      if (seen) resolve(seen);
      else waiters.push({ pred, resolve });
    });

  /** Waits, on the edge's acks, until the central stores a reading with this register value. */
  const untilStored = async (kwh: number) => {
    for (;;) {
      let onAck = () => {};
      const acked = new Promise<void>((r) => {
        onAck = r;
        edge.uplink.once('ack', onAck);
      });
      const { rows } = await sql<{ n: string }>`
        SELECT count(*)::text AS n FROM readings r JOIN meters m ON m.id = r.meter_id
        WHERE m.edge_id = ${EDGE} AND m.device_id = ${DEVICE}
          AND (r.values->>'energy_import')::float8 = ${kwh}`.execute(central.database.db);
      if (Number(rows[0]?.n) > 0) {
        edge.uplink.off('ack', onAck);
        return;
      }
      await acked;
    }
  };
  /** Simulated time moves on; returns the register the meter now serves (float32, as polled). */
  const step = async (ms: number) => {
    clock.advance(ms);
    fleet.tick();
    const kwh = (await control('GET', `/devices/${DEVICE}/truth`)).served.energy_import as number;
    await untilStored(kwh);
    return kwh;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-tamper-'));
    const silent = pino({ level: 'silent' });
    ({ central, jobs, admin } = await startCentralWithManualJobs(join(dir, 'central'), silent));
    fleet = await startFleet(
      parseScenario({
        seed: 5,
        tickMs: 3_600_000,
        control: { port: 0 },
        modbusTcp: { port: 0, meters: 1 },
      }),
      { clock, logger: silent },
    );
    const cred = await api('PUT', `/edges/${EDGE}/credential`, admin);
    expect(cred.status).toBe(200);
    edge = await startEdge(
      {
        edgeId: EDGE,
        dataDir: join(dir, 'edge'),
        mqtt: { url: central.mqttUrl, password: cred.body.secret },
        uplink: { maxDelayMs: 20, maxReadings: 50 },
        devices: [
          {
            id: DEVICE,
            profile: 'eastron-sdm630',
            driver: 'modbus-tcp' as const,
            host: '127.0.0.1',
            port: fleet.modbusTcp[0]?.port as number,
            unitId: 1,
            intervalMs: 100,
          },
        ],
      },
      { logger: silent },
    );
  });

  afterAll(async () => {
    await edge?.close().catch(() => undefined);
    await fleet?.close();
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('register backwards → meter.tamper on the customer topic → the customer acknowledges', async () => {
    // The customer and the binding come through the API, before any reading.
    const ana = await api('POST', '/customers', admin, {
      document: DOCUMENT,
      name: 'Ana',
      password: PASSWORD,
    });
    expect(ana.status, JSON.stringify(ana.body)).toBe(201);
    const bound = await api('POST', `/customers/${ana.body.id}/meters`, admin, {
      edgeId: EDGE,
      deviceId: DEVICE,
    });
    expect(bound.status, JSON.stringify(bound.body)).toBe(200);
    const meterId: number = bound.body.id;

    // A subscription in the broker itself, on the customer's topic (MQTT has no customer logins).
    const topic = `gl/v1/customers/${ana.body.id}/alarms`;
    const broker = central.broker;
    if (!broker) throw new Error('embedded broker expected');
    await new Promise<void>((done) =>
      broker.aedes.subscribe(
        topic,
        (packet, cb) => {
          const m = JSON.parse(packet.payload.toString()) as AlarmMessage;
          messages.push(m);
          for (const w of waiters.splice(0)) {
            if (w.pred(m)) w.resolve(m);
            else waiters.push(w);
          }
          cb();
        },
        done,
      ),
    );

    // Three simulated hours of normal consumption, each delivered to the central.
    let before = 0;
    for (let h = 0; h < 3; h++) before = await step(3_600_000);
    const job = jobs.get('alarms.sweep');
    if (!job) throw new Error('alarms.sweep not scheduled');
    // Cron fires once a minute and each minute runs once (the job ledger): one fire per minute.
    let minute = Math.floor(Date.now() / 60_000) * 60_000;
    const sweep = () => {
      minute += 60_000;
      return job(new Date(minute));
    };
    await sweep();
    expect(messages.filter((m) => m.alarm.type === 'meter.tamper')).toEqual([]);

    // Tampering: the served register steps back 25 kWh and counts on from there.
    await control('PUT', `/devices/${DEVICE}/fault`, { mode: 'tamper', backKWh: 25 });
    const after = await step(15 * 60_000);
    expect(after).toBeLessThan(before);
    await step(15 * 60_000); // it keeps counting, now from the lower value

    await sweep();
    const raised = await published((m) => m.alarm.type === 'meter.tamper');
    expect(raised).toMatchObject({
      transition: 'raised',
      alarm: {
        type: 'meter.tamper',
        severity: 'CRITICAL',
        state: 'ACTIVE_UNACK',
        source: `meter:${meterId}`,
        customerId: ana.body.id,
        details: { previousWh: wh(before), newWh: wh(after) },
      },
    });
    // An event is alarmed once: another sweep raises nothing new.
    await sweep();
    expect(messages.filter((m) => m.alarm.type === 'meter.tamper')).toHaveLength(1);

    // The customer signs in, sees the alarm and acknowledges it; that transition is published too.
    const login = await api('POST', '/auth/login', '', { document: DOCUMENT, password: PASSWORD });
    expect(login.status).toBe(200);
    const mine = await api('GET', '/alarms?type=meter.tamper', login.body.token);
    expect(mine.body.items).toEqual([
      expect.objectContaining({ id: raised.alarm.id, state: 'ACTIVE_UNACK' }),
    ]);
    const ack = await api('POST', `/alarms/${raised.alarm.id}/ack`, login.body.token);
    expect(ack.status).toBe(200);
    expect(
      await published((m) => m.alarm.type === 'meter.tamper' && m.transition === 'acknowledged'),
    ).toMatchObject({ alarm: { id: raised.alarm.id, state: 'ACTIVE_ACK' } });
  });
});
