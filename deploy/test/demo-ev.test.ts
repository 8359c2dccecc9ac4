import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePix, hasValidPixCrc } from '@gridlink/central';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies read field by field
type Json = any;

/**
 * The README's "Demo: book, charge, pay" against `npm start` itself (deploy/demo/run.ts, one start,
 * ports 0): the demo driver signs in over HTTP and books a slot on the bound point; a real MQTT
 * subscriber with the operator credential the demo printed watches `pontos/{id}/disponibilidade`
 * and `reservas/{id}/status`; the car arrives and leaves through the simulator's control API; the
 * driver starts the charge over HTTP. The booking goes RESERVED → FULFILLED → COMPLETED, the
 * availability topic follows (free, reserved, free again), and the session is priced with a Pix
 * payload whose CRC checks. The car's credential was issued by the central and handed to the
 * simulator's car: its MQTT reports reach the API.
 */
describe('the demo EV path (README "Demo: book, charge, pay")', () => {
  let dir: string | undefined;
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it('book, plug in, start, charge, unplug: priced with Pix; the topics follow it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-demo-ev-'));
    const proc = spawn(
      process.execPath,
      [join(root, 'node_modules/tsx/dist/cli.mjs'), 'deploy/demo/run.ts'],
      {
        cwd: root,
        env: {
          ...process.env,
          GRIDLINK_DATA_DIR: dir,
          GRIDLINK_HTTP_PORT: '0',
          GRIDLINK_MQTT_PORT: '0',
          GRIDLINK_MODBUS_PORT: '0',
          GRIDLINK_EDGE_METRICS_PORT: '0',
          GRIDLINK_DEMO_POLL_MS: '500',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
    let sub: mqtt.MqttClient | undefined;
    try {
      while (!/Admin token\s+glt_/.test(out)) {
        if (proc.exitCode !== null) throw new Error(`demo exited early:\n${out}`);
        await new Promise<void>((r) => proc.stdout.once('data', () => r()));
      }
      // What the demo printed: where to look.
      const url = /Web API\s+(http:\/\/[\d.:]+)\//.exec(out)?.[1] as string;
      const bound = /charger-1 → point (\d+)/.exec(out);
      const cars = /plates ([A-Z0-9]{7}) \(car-1\)/.exec(out);
      const simUrl = /Sim control\s+(http:\/\/[\d.:]+)\/devices/.exec(out)?.[1] as string;
      const watch = /mosquitto_sub -h (\S+) -p (\d+) -u (\S+) -P (\S+) -i (\S+)/.exec(out);
      const driverLine = /Driver\s+document (\S+), password (\S+) /.exec(out);
      expect(url && bound && cars && simUrl && watch && driverLine, out).toBeTruthy();
      const pointId = Number(bound?.[1]);
      const plate = cars?.[1] as string;

      const api = async (method: string, path: string, token?: string, body?: unknown) => {
        const res = await fetch(`${url}/api/v1${path}`, {
          method,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Json };
      };
      const sim = async (method: string, path: string, body?: unknown) => {
        const res = await fetch(`${simUrl}${path}`, {
          method,
          headers: body === undefined ? {} : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as Json };
      };

      // The watcher, as mosquitto_sub would with the printed credential.
      const messages: Array<{ topic: string; body: Json }> = [];
      sub = await mqtt.connectAsync(`mqtt://${watch?.[1]}:${watch?.[2]}`, {
        username: watch?.[3],
        password: watch?.[4],
        clientId: watch?.[5],
        reconnectPeriod: 0,
      });
      sub.on('message', (topic, payload) =>
        messages.push({ topic, body: JSON.parse(payload.toString()) }),
      );
      await sub.subscribeAsync([`pontos/${pointId}/disponibilidade`, 'reservas/+/status'], {
        qos: 1,
      });
      const availability = () =>
        messages
          .filter((m) => m.topic === `pontos/${pointId}/disponibilidade`)
          .map((m) => m.body.disponivel as boolean);
      // The bound point is free once its charger has been read (retained: the last word).
      await expect.poll(() => availability().at(-1), { timeout: 60_000 }).toBe(true);

      // The demo driver signs in and books 30 minutes from now on the bound point.
      const login = await api('POST', '/auth/driver-login', undefined, {
        document: driverLine?.[1],
        password: driverLine?.[2],
      });
      expect(login.status).toBe(200);
      const driver = login.body.token as string;
      // The simulator's car reports over MQTT with the credential the central issued.
      await expect
        .poll(async () => (await api('GET', `/cars/${plate}`, driver)).body.last, {
          timeout: 60_000,
        })
        .toMatchObject({ batteryPct: expect.any(Number) });
      const start = new Date(Math.ceil(Date.now() / 1000) * 1000);
      const booked = await api('POST', '/reservations', driver, {
        pointId,
        plate,
        start: start.toISOString(),
        end: new Date(start.getTime() + 30 * 60_000).toISOString(),
      });
      expect(booked.status).toBe(201);
      expect(booked.body.state).toBe('RESERVED');
      const id = booked.body.id as number;
      const statuses = () =>
        messages
          .filter((m) => m.topic === `reservas/${id}/status`)
          .map((m) => m.body.status as string);
      await expect.poll(statuses, { timeout: 30_000 }).toContain('RESERVED');
      // The slot has begun: the central reserves the charger through the edge; not available.
      await expect
        .poll(async () => (await api('GET', `/points/${pointId}/live`, driver)).body.state, {
          timeout: 30_000,
        })
        .toBe('reserved');
      await expect.poll(() => availability().at(-1), { timeout: 30_000 }).toBe(false);

      // The car arrives (the simulator's control API) and the driver starts the charge.
      const plugged = await sim('PUT', '/devices/car-1/plug', { chargerId: 'charger-1' });
      expect(plugged.body).toMatchObject({ chargerId: 'charger-1', status: 'reserved' });
      const started = await api('POST', `/points/${pointId}/start`, driver, { plate });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({ reservationId: id, plate });
      await expect.poll(statuses, { timeout: 30_000 }).toContain('FULFILLED');
      await expect
        .poll(
          async () => (await api('GET', `/points/${pointId}/live`, driver)).body.sessionEnergyWh,
          { timeout: 30_000 },
        )
        .toBeGreaterThanOrEqual(5);
      expect(availability().at(-1)).toBe(false);

      // The car leaves: the session ends, priced; the booking completes; the point is free.
      expect((await sim('DELETE', '/devices/car-1/plug')).status).toBe(200);
      await expect.poll(statuses, { timeout: 30_000 }).toContain('COMPLETED');
      expect(statuses()).toEqual(['RESERVED', 'FULFILLED', 'COMPLETED']);
      await expect.poll(() => availability().at(-1), { timeout: 30_000 }).toBe(true);
      await expect
        .poll(async () => (await api('GET', '/sessions', driver)).body.items[0]?.state, {
          timeout: 30_000,
        })
        .toBe('priced');
      const session = (await api('GET', '/sessions', driver)).body.items[0];
      expect(session).toMatchObject({ pointId, plate, reservationId: id, endReason: 'available' });
      expect(session.energyWh).toBeGreaterThanOrEqual(5);
      expect(session.totalCentavos).toBeGreaterThan(0);
      const receipt = await api('GET', `/sessions/${session.id}/receipt`, driver);
      expect(receipt.status).toBe(200);
      const payload = receipt.body.pix.payload as string;
      expect(hasValidPixCrc(payload)).toBe(true);
      expect(decodePix(payload)).toMatchObject({ amount: session.totalCentavos });
      const page = await fetch(`${url}/api/v1/sessions/${session.id}/receipt/html`, {
        headers: { authorization: `Bearer ${driver}` },
      });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(payload);
    } finally {
      await sub?.endAsync().catch(() => undefined);
      proc.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }, 300_000);
});
