import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { createDriver } from '../src/ev/index.js';
import { type Central, type CentralConfigInput, startCentral } from '../src/index.js';
import { seedCConfigSchema, startSeedCServer } from '../src/legacy/seed-c/index.js';

const run = promisify(execFile);
const FEIRA = '/work/shared/data/seed/feira_de_santana_stations.csv';

type Envelope = {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: the seed's JSON envelopes
  data: any;
  status: { code: number; message: string };
  timestamp: string;
};

/**
 * A seed C client written from the seed text (SEEDS.md C): newline-terminated JSON envelopes
 * `{type, data, status:{code, message}, timestamp}` over a plain TCP socket, one answer line per
 * request line, in order.
 */
class LineClient {
  readonly #socket: Socket;
  #buffer = '';
  readonly #lines: string[] = [];
  readonly #waiters: Array<(line: string) => void> = [];
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl = this.#buffer.indexOf('\n');
      while (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        const w = this.#waiters.shift();
        if (w) w(line);
        else this.#lines.push(line);
        nl = this.#buffer.indexOf('\n');
      }
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }

  sendRaw(text: string): void {
    this.#socket.write(text);
  }

  next(): Promise<Envelope> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(JSON.parse(line));
    return new Promise((resolve) => this.#waiters.push((l) => resolve(JSON.parse(l))));
  }

  async ask(type: string, data: unknown): Promise<Envelope> {
    this.sendRaw(
      `${JSON.stringify({ type, data, status: { code: 0, message: '' }, timestamp: new Date().toISOString() })}\n`,
    );
    return this.next();
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

/**
 * Seed C (SEEDS.md C, issue #18 item 2) on a running central: PGlite, the Feira de Santana
 * network imported over HTTP, journey clients over raw TCP. The journey's booking is read back
 * over HTTP; every error case; limits; 2,000 concurrent connections.
 */
describe('seed C journey server', () => {
  let dataDir: string;
  let central: Central;
  let admin: string;
  let port: number;
  const clients: LineClient[] = [];
  const open = async (p = port) => {
    const c = await LineClient.open(p);
    clients.push(c);
    return c;
  };
  const http = async (method: string, path: string, body?: string | Buffer, type?: string) => {
    const r = await fetch(`${central.http.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, ...(type ? { 'content-type': type } : {}) },
      body,
    });
    // biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies
    return { status: r.status, body: (await r.json()) as any };
  };
  const stationIdByName = async (name: string) =>
    Number(
      (
        await sql<{ id: string }>`SELECT id FROM ev_stations WHERE name = ${name}`.execute(
          central.database.db,
        )
      ).rows[0]?.id,
    );
  /** A second server on the same journey, with its own limits (no second database). */
  const extraServer = (over: Record<string, unknown>) =>
    startSeedCServer({
      config: seedCConfigSchema.parse({ enabled: true, port: 0, ...over }),
      journey: central.legacy.seedC?.journey as never,
      now: () => Date.now(),
      logger: pino({ level: 'silent' }),
    });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-seed-c-'));
    central = await startCentral(
      {
        dataDir,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        legacy: { seedC: { enabled: true, port: 0, anonymous: { enabled: true } } },
      } as CentralConfigInput,
      { logger: pino({ level: 'silent' }) },
    );
    port = central.legacy.seedC?.port as number;
    admin = await mintToken(central.database.db, { role: 'admin' });
    const imported = await http(
      'POST',
      '/companies/feira/imports?format=feira&name=Feira&connector=ccs2:50000',
      readFileSync(FEIRA),
      'text/csv; charset=utf-8',
    );
    expect(imported.status).toBe(200);
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await central?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('START -> LOGIN -> NAVIGATION -> SELECTION_STATION -> PAYMENT books a slot seen in the API', async () => {
    const c = await open();
    const start = await c.ask('START', {});
    expect(start.type).toBe('START');
    expect(start.status.code).toBe(200);
    expect(Date.parse(start.timestamp)).not.toBeNaN();
    // car_models.json's fields and its range (capacity / consumption).
    expect(start.data.car_models['Tesla Model 3']).toEqual({
      brand: 'Tesla',
      model: 'Model 3',
      battery_capacity: 75,
      energy_consumption: 0.15,
      max_speed: 261,
      acceleration: 3.1,
      autonomy: 500,
    });
    expect(start.data.car_models['Chevrolet Bolt EV'].autonomy).toBe(412.5);
    const names = start.data.stations.map((s: { name: string }) => s.name);
    expect(names).toContain('EcoCharge Centro');
    const centro = start.data.stations.find((s: { name: string }) => s.name === 'EcoCharge Centro');
    expect(centro).toMatchObject({ points: 3, available_points: 3, price_kwh: 1.95 });

    const login = await c.ask('LOGIN', {
      user_name: 'SCA-1B23',
      selected_car: 'Nissan Leaf',
      battery_car: 30,
    });
    expect(login.status.code).toBe(200);
    const userId = login.data.user_id;
    expect(Number.isSafeInteger(userId)).toBe(true);

    // Leaf: 40 kWh / 0.17 kWh/km = 235.29 km full; 30 % = 70.6 km; with the 10 % reserve
    // only 20 % (47.06 km) may be driven.
    const near = await c.ask('NAVIGATION', { user_id: userId, route_distance: 40 });
    expect(near.data).toEqual({ can_complete: true, message: expect.any(String), autonomy: 70.6 });
    const far = await c.ask('NAVIGATION', { user_id: userId, route_distance: 50 });
    expect(far.data.can_complete).toBe(false);

    // Two stations; the nearer one's three points are booked from now for two hours, so the
    // farther one wins on waiting time.
    const a = centro.id as number;
    const b = await stationIdByName('VoltStation Cidade Nova');
    const points = (
      await sql<{ id: string }>`SELECT id FROM ev_points WHERE station_id = ${a}`.execute(
        central.database.db,
      )
    ).rows.map((r) => Number(r.id));
    const from = new Date(Math.floor(Date.now() / 1000) * 1000);
    for (const pointId of points)
      await central.ev.reservations.book({
        pointId,
        plate: 'ABC1234',
        start: from,
        end: new Date(from.getTime() + 2 * 3_600_000),
      });
    const pick = await c.ask('SELECTION_STATION', {
      user_id: userId,
      list_stations: { [a]: { distance_origin_position: 3 }, [b]: { distance_origin_position: 9 } },
    });
    expect(pick.status.code).toBe(200);
    expect(pick.data.id_station).toBe(b);
    // Leaf: min(0.7 x 144, 90) = 90 km/h, 9 km = 6 min; arrives at 30 - 9 x 0.17 / 40 = 26.2 %.
    expect(pick.data.travel_time).toBe(6);
    expect(pick.data.waiting_time).toBe(0);
    expect(pick.data.arrival_battery).toBe(26.2);
    expect(pick.data.charge_to).toBe(80);
    expect(pick.data.charging_time).toBeGreaterThan(0);
    // Priced with the station's tariff (the default: R$ 1.95/kWh, no parking while charging).
    expect(Math.abs(pick.data.price - pick.data.energy_kwh * 1.95)).toBeLessThan(0.01);
    expect(pick.data.total_time).toBeCloseTo(6 + pick.data.charging_time, 1);

    const pay = await c.ask('PAYMENT', { user_id: userId, id_station: b, confirmation: true });
    expect(pay.status.code).toBe(200);
    expect(pay.data).toMatchObject({ reserved: true, id_station: b, price: pick.data.price });
    const listed = await http('GET', `/reservations/${pay.data.reservation_id}`);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({
      id: pay.data.reservation_id,
      pointId: pay.data.point_id,
      plate: 'SCA1B23',
      source: 'seed-c',
      state: 'RESERVED',
    });
    // The slot starts at arrival (6 min) and lasts the charge (at least the shortest slot).
    expect(Date.parse(listed.body.start) - Date.now()).toBeGreaterThan(4 * 60_000);
    const all = await http('GET', '/reservations?limit=100');
    expect(all.body.items.map((r: { id: number }) => r.id)).toContain(pay.data.reservation_id);

    // Paying again answers the same booking; declining books nothing.
    const again = await c.ask('PAYMENT', { user_id: userId, id_station: b, confirmation: true });
    expect(again.data.reservation_id).toBe(pay.data.reservation_id);
    const no = await c.ask('PAYMENT', { user_id: userId, id_station: b, confirmation: false });
    expect(no.data.reserved).toBe(false);
  });

  it('PAYMENT books after a booking that holds the point, and declines when no point is usable', async () => {
    const c = await open();
    const id = await stationIdByName('Recarga Rápida Brasília');
    const login = await c.ask('LOGIN', {
      user_name: 'QWE9876',
      selected_car: 'Tesla Model 3',
      battery_car: 50,
    });
    const userId = login.data.user_id;
    const pick = await c.ask('SELECTION_STATION', {
      user_id: userId,
      list_stations: { [id]: { distance_origin_position: 0 } },
    });
    expect(pick.data.id_station).toBe(id);
    // Someone takes the only point before the user pays.
    const [point] = (
      await sql<{ id: string }>`SELECT id FROM ev_points WHERE station_id = ${id}`.execute(
        central.database.db,
      )
    ).rows.map((r) => Number(r.id));
    const from = new Date(Math.floor(Date.now() / 1000) * 1000 - 1000);
    await central.ev.reservations.book({
      pointId: point as number,
      plate: 'ZZZ1111',
      start: from,
      end: new Date(from.getTime() + 4 * 3_600_000),
    });
    // PAYMENT reads the station again: the slot moves to when the point is free.
    const pay = await c.ask('PAYMENT', { user_id: userId, id_station: id, confirmation: true });
    expect(pay.status.code).toBe(200);
    const r = await http('GET', `/reservations/${pay.data.reservation_id}`);
    expect(Date.parse(r.body.start)).toBe(from.getTime() + 4 * 3_600_000);

    // Another user, and the only point goes into maintenance before it pays: declined, 409.
    const other = await c.ask('LOGIN', {
      user_name: 'QWE9877',
      selected_car: 'Tesla Model 3',
      battery_car: 50,
    });
    await c.ask('SELECTION_STATION', {
      user_id: other.data.user_id,
      list_stations: { [id]: { distance_origin_position: 0 } },
    });
    await sql`UPDATE ev_points SET maintenance = true WHERE id = ${point as number}`.execute(
      central.database.db,
    );
    try {
      const declined = await c.ask('PAYMENT', {
        user_id: other.data.user_id,
        id_station: id,
        confirmation: true,
      });
      expect(declined.status.code).toBe(409);
      expect(declined.data.reserved).toBe(false);
    } finally {
      await sql`UPDATE ev_points SET maintenance = false WHERE id = ${point as number}`.execute(
        central.database.db,
      );
    }
  });

  it('answers every error with its code and keeps serving the connection', async () => {
    const c = await open();
    c.sendRaw('{not json\n');
    expect((await c.next()).status).toEqual({ code: 400, message: 'invalid JSON' });
    c.sendRaw('[1,2]\n');
    expect((await c.next()).status.code).toBe(400);
    c.sendRaw(`${JSON.stringify({ type: 'START', data: {} })}\n`);
    const missing = await c.next();
    expect(missing.status).toEqual({
      code: 400,
      message: 'missing envelope key(s): status, timestamp',
    });
    expect(missing.type).toBe('START');
    expect((await c.ask('TELEPORT', {})).status).toEqual({
      code: 404,
      message: 'unknown type: TELEPORT',
    });
    expect((await c.ask('LOGIN', [])).status.code).toBe(400);
    const badCar = await c.ask('LOGIN', { user_name: 'x', selected_car: 'Fusca', battery_car: 50 });
    expect(badCar.status.code).toBe(400);
    expect(badCar.status.message).toMatch(/^selected_car: unknown car "Fusca"/);
    expect(
      (await c.ask('LOGIN', { user_name: 'x', selected_car: 'Nissan Leaf', battery_car: 101 }))
        .status.code,
    ).toBe(400);
    expect(
      (await c.ask('LOGIN', { user_name: '', selected_car: 'Nissan Leaf', battery_car: 1 })).status
        .code,
    ).toBe(400);
    expect((await c.ask('NAVIGATION', { user_id: 12345, route_distance: 3 })).status.code).toBe(
      404,
    );
    expect((await c.ask('NAVIGATION', { route_distance: 3 })).status.code).toBe(400);
    const login = await c.ask('LOGIN', {
      user_name: 'Maria',
      selected_car: 'Nissan Leaf',
      battery_car: '55',
    });
    const userId = login.data.user_id;
    expect((await c.ask('NAVIGATION', { user_id: userId, route_distance: -1 })).status.code).toBe(
      400,
    );
    expect(
      (await c.ask('SELECTION_STATION', { user_id: userId, list_stations: {} })).status.code,
    ).toBe(400);
    expect(
      (
        await c.ask('SELECTION_STATION', {
          user_id: userId,
          list_stations: { abc: { distance_origin_position: 1 } },
        })
      ).status.code,
    ).toBe(400);
    expect(
      (
        await c.ask('SELECTION_STATION', {
          user_id: userId,
          list_stations: { 999999: { distance_origin_position: 1 } },
        })
      ).status.code,
    ).toBe(404);
    const a = await stationIdByName('EcoCharge Centro');
    // 55 % of a Leaf reaches 129 km: a station 500 km away cannot be reached.
    expect(
      (
        await c.ask('SELECTION_STATION', {
          user_id: userId,
          list_stations: { [a]: { distance_origin_position: 500 } },
        })
      ).status.code,
    ).toBe(409);
    expect(
      (await c.ask('PAYMENT', { user_id: userId, id_station: a, confirmation: true })).status.code,
    ).toBe(400);
    await c.ask('SELECTION_STATION', {
      user_id: userId,
      list_stations: { [a]: { distance_origin_position: 2 } },
    });
    // Not a plate and no driver: the booking would belong to nobody.
    const nobody = await c.ask('PAYMENT', { user_id: userId, id_station: a, confirmation: true });
    expect(nobody.status.code).toBe(403);
    expect(
      (await c.ask('PAYMENT', { user_id: userId, id_station: a, confirmation: 'maybe' })).status
        .code,
    ).toBe(400);
    // Still served after all that.
    expect((await c.ask('START', {})).status.code).toBe(200);

    // A server error (an injected fault: the stations table away) is a 500 and the connection
    // and the server keep serving.
    await sql`ALTER TABLE ev_stations RENAME TO ev_stations_away`.execute(central.database.db);
    try {
      const broken = await c.ask('SELECTION_STATION', {
        user_id: userId,
        list_stations: { [a]: { distance_origin_position: 2 } },
      });
      expect(broken.status).toEqual({ code: 500, message: 'internal error' });
    } finally {
      await sql`ALTER TABLE ev_stations_away RENAME TO ev_stations`.execute(central.database.db);
    }
    expect((await c.ask('NAVIGATION', { user_id: userId, route_distance: 1 })).status.code).toBe(
      200,
    );
  });

  it('a line over the limit is a 400 and closes that connection only', async () => {
    const c = await open();
    const other = await open();
    c.sendRaw(`${JSON.stringify({ type: 'START', data: {}, status: {}, timestamp: '' })}\n`);
    c.sendRaw('x'.repeat(20_000));
    expect((await c.next()).status.code).toBe(200);
    const refused = await c.next();
    expect(refused.status.code).toBe(400);
    expect(refused.status.message).toMatch(/^line over 16384 bytes/);
    await c.closed;
    expect((await other.ask('START', {})).status.code).toBe(200);
  });

  it('AUTH: an address outside anonymous.sources needs a token; a driver books as itself', async () => {
    const server = await extraServer({ anonymous: { enabled: true, sources: ['10.1.2.3'] } });
    try {
      const c = await open(server.port);
      const refused = await c.ask('LOGIN', {
        user_name: 'a',
        selected_car: 'Nissan Leaf',
        battery_car: 5,
      });
      expect(refused.status.code).toBe(401);
      expect((await c.ask('AUTH', { token: 'glt_nope' })).status.code).toBe(401);
      const driver = await createDriver(
        central.database.db,
        {
          document: '52998224725',
          name: 'Ana',
          password: 'uma senha longa o bastante',
        } as never,
        new Date(),
      );
      const token = await mintToken(central.database.db, {
        role: 'driver',
        subject: String(driver.id),
      } as never);
      expect((await c.ask('AUTH', { token })).status.code).toBe(200);
      const login = await c.ask('LOGIN', {
        user_name: 'Ana',
        selected_car: 'Nissan Leaf',
        battery_car: 60,
      });
      const userId = login.data.user_id;
      const a = await stationIdByName('Energia Verde Santa Mônica');
      await c.ask('SELECTION_STATION', {
        user_id: userId,
        list_stations: { [a]: { distance_origin_position: 1 } },
      });
      const pay = await c.ask('PAYMENT', { user_id: userId, id_station: a, confirmation: true });
      expect(pay.status.code).toBe(200);
      const r = await http('GET', `/reservations/${pay.data.reservation_id}`);
      expect(r.body).toMatchObject({ driverId: driver.id, plate: null, source: 'seed-c' });
      // The anonymous server's users are not this caller's.
      const anon = await open();
      expect(
        (await anon.ask('NAVIGATION', { user_id: userId, route_distance: 1 })).status.code,
      ).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('past maxConnections a new connection is told 503; an idle one is closed', async () => {
    const server = await extraServer({
      maxConnections: 2,
      idleTimeoutMs: 300,
      anonymous: { enabled: true },
    });
    try {
      const one = await open(server.port);
      const two = await open(server.port);
      expect((await one.ask('START', {})).status.code).toBe(200);
      expect((await two.ask('START', {})).status.code).toBe(200);
      const three = await open(server.port);
      expect((await three.next()).status).toEqual({ code: 503, message: 'too many connections' });
      await three.closed;
      // Silent: the idle time-out closes them.
      await Promise.all([one.closed, two.closed]);
      expect(server.counts().refusedConnections).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('an independent client (socat) gets an envelope line', async () => {
    const { stdout } = await run('sh', [
      '-c',
      `printf '%s\\n' '{"type":"LOGIN","data":{"user_name":"cli","selected_car":"Chevrolet Bolt EV","battery_car":80},"status":{"code":0,"message":""},"timestamp":"x"}' | socat -t 5 - TCP:127.0.0.1:${port}`,
    ]);
    const reply = JSON.parse(stdout.trim());
    expect(reply.type).toBe('LOGIN');
    expect(reply.status.code).toBe(200);
    expect(Number.isSafeInteger(reply.data.user_id)).toBe(true);
    // A last line without its newline, then end of input: still answered.
    const bare = await run('sh', [
      '-c',
      `printf '%s' '{"type":"START","data":{},"status":{"code":0,"message":""},"timestamp":"x"}' | socat -t 5 - TCP:127.0.0.1:${port}`,
    ]);
    expect(JSON.parse(bare.stdout.trim()).status.code).toBe(200);
  });

  it('serves 2,000 concurrent connections; a flooding, an idle and an oversized client block nobody', async () => {
    // A client that sends 5,000 requests and never reads its answers.
    const flood = connect({ port, host: '127.0.0.1' });
    flood.on('error', () => undefined);
    await new Promise((resolve) => flood.once('connect', resolve));
    flood.pause();
    const req = `${JSON.stringify({ type: 'START', data: {}, status: {}, timestamp: '' })}\n`;
    flood.write(req.repeat(5_000));
    const idle = await open();
    const big = await open();
    big.sendRaw('y'.repeat(10_000));
    const conns = await Promise.all(Array.from({ length: 2_000 }, () => LineClient.open(port)));
    try {
      const answers = await Promise.all(
        conns.map(async (c, i) => {
          const login = await c.ask('LOGIN', {
            user_name: `user_${i}`,
            selected_car: 'Chevrolet Bolt EV',
            battery_car: i % 101,
          });
          const nav = await c.ask('NAVIGATION', {
            user_id: login.data.user_id,
            route_distance: 100,
          });
          return [login.status.code, nav.status.code, nav.data.can_complete];
        }),
      );
      expect(answers.every(([l, n]) => l === 200 && n === 200)).toBe(true);
      // Bolt: 412.5 km full, 10 % reserve: 100 km needs 34.24 %, so 35..100 can.
      expect(answers.filter(([, , can]) => can).length).toBe(
        Array.from({ length: 2_000 }, (_, i) => i % 101).filter((p) => p >= 35).length,
      );
      expect(central.legacy.seedC?.counts().connections).toBeGreaterThanOrEqual(2_003);
    } finally {
      for (const c of conns) c.destroy();
      idle.destroy();
      flood.destroy();
      big.destroy();
    }
  }, 120_000);
});
