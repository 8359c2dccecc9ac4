import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FakeClock } from '@gridlink/shared';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../src/auth/index.js';
import { type Central, startCentral } from '../src/index.js';
import { requirePostgres, scratchPostgres } from '../src/testing/index.js';

/**
 * The participant's side of a federated booking (docs/FEDERATION.md) through a real central's
 * HTTP API on port 0, on PGlite and on PostgreSQL: the fence log's answers to try, confirm and
 * cancel in every order, repeated and concurrent; holds that lapse (on a fake clock); peer
 * authentication and confinement; bad input; the catalog.
 */

const T0 = Date.parse('2027-01-04T12:00:00Z');
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** A slot `day` days ahead of T0, at 10:00 + `hour`: far beyond every clock step below. */
const slot = (day: number, hour = 0) => {
  const s = T0 + day * 24 * HOUR - 2 * HOUR + hour * HOUR;
  return {
    start: new Date(s).toISOString().replace('.000Z', 'Z'),
    end: new Date(s + HOUR).toISOString().replace('.000Z', 'Z'),
  };
};
const trip = { tripId: 7, driver: 'Ana', stops: 2 };

// biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of many shapes
type Answer = { status: number; body: any; headers: Headers };

const stores = [
  { name: 'pglite' as const, ok: async () => true },
  {
    name: 'postgres' as const,
    ok: () => requirePostgres('the PostgreSQL half of the federation participant suite'),
  },
];

for (const store of stores) {
  describe(`federation participant over HTTP [${store.name}]`, async () => {
    if (!(await store.ok())) return;
    const clock = new FakeClock(T0);
    const lines: Array<Record<string, unknown>> = [];
    let central: Central;
    let dir: string;
    let dropPg: (() => Promise<void>) | undefined;
    const tokens: Record<string, string> = {};
    const points: number[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gl-fed-part-'));
      let databaseUrl: string | undefined;
      if (store.name === 'postgres') {
        const pg = await scratchPostgres('gl_fed_part');
        databaseUrl = pg.url;
        dropPg = pg.drop;
      }
      const sink = new Writable({
        write(chunk, _enc, cb) {
          for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
          cb();
        },
      });
      central = await startCentral(
        {
          dataDir: dir,
          ...(databaseUrl ? { databaseUrl } : {}),
          http: { port: 0 },
          mqtt: { mode: 'embedded', port: 0 },
          federation: {
            name: 'company-b',
            maxHoldMinutes: 5,
            holdMinutes: 5,
            peers: [
              { name: 'company-a', url: 'http://127.0.0.1:9/', token: 'glt_not-used-in-this-test' },
              { name: 'feira', url: 'http://127.0.0.1:9/', token: 'glt_not-used-in-this-test' },
            ],
          },
        },
        { clock, scheduler: false, logger: pino({ level: 'info' }, sink) },
      );
      const db = central.database.db;
      await sql`INSERT INTO ev_companies (id, name, default_tariff) VALUES
        ('company-b', 'Company B', ${JSON.stringify({ currency: 'BRL', elements: [] })}::jsonb),
        ('other', 'Other', NULL)`.execute(db);
      const st = await sql<{ id: string | number }>`INSERT INTO ev_stations
        (company_id, external_id, name, latitude, longitude)
        VALUES ('company-b', 's1', 'Centro', -12.25, -38.96) RETURNING id`.execute(db);
      const stationId = Number(st.rows[0]?.id);
      for (const [i, maintenance] of [
        [1, false],
        [2, false],
        [3, true],
      ] as const) {
        const p = await sql<{ id: string | number }>`INSERT INTO ev_points
          (station_id, external_id, name, state, maintenance)
          VALUES (${stationId}, ${`p${i}`}, ${`P${i}`}, 'available', ${maintenance})
          RETURNING id`.execute(db);
        points.push(Number(p.rows[0]?.id));
      }
      await sql`INSERT INTO ev_connectors (point_id, connector_no, standard, power_type, max_power_w)
        VALUES (${points[0]}, 1, 'type2', 'ac', 22000), (${points[0]}, 2, 'ccs2', 'dc', 60000)`.execute(
        db,
      );
      const now = new Date(T0);
      // Peer tokens as an admin mints them (the CLI and the API call issueToken).
      tokens.a = (await issueToken(db, { role: 'peer', subject: 'company-a' }, now)).token;
      tokens.feira = (await issueToken(db, { role: 'peer', subject: 'feira' }, now)).token;
      tokens.stranger = (await issueToken(db, { role: 'peer', subject: 'company-z' }, now)).token;
      tokens.admin = (await issueToken(db, { role: 'admin' }, now)).token;
      tokens.opB = (await issueToken(db, { role: 'operator', subject: 'company-b' }, now)).token;
      tokens.opOther = (await issueToken(db, { role: 'operator', subject: 'other' }, now)).token;
    }, 120_000);

    afterAll(async () => {
      await central?.ev.reservations.idle();
      await central?.close();
      await dropPg?.();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const call = async (
      method: string,
      path: string,
      opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<Answer> => {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      if (opts.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${central.http.url}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
      const text = await res.text();
      return {
        status: res.status,
        body: text ? JSON.parse(text) : undefined,
        headers: res.headers,
      };
    };
    const branchPath = (tx: string, b = '1') =>
      `/api/v1/federation/transactions/${tx}/branches/${b}`;
    const tryBody = (over: Record<string, unknown> = {}) => ({
      pointId: points[0],
      ...slot(1),
      plate: 'ABC1D23',
      holdSeconds: 120,
      trip,
      ...over,
    });
    const doTry = (tx: string, body: unknown, token = tokens.a, b = '1') =>
      call('PUT', branchPath(tx, b), { token, body });
    const confirm = (tx: string, token = tokens.a, b = '1') =>
      call('POST', `${branchPath(tx, b)}/confirm`, { token });
    const cancel = (tx: string, body?: unknown, token = tokens.a, b = '1') =>
      call('POST', `${branchPath(tx, b)}/cancel`, { token, ...(body ? { body } : {}) });
    const reservation = async (id: number) =>
      (
        await sql<{ state: string; cancel_reason: string | null; source: string }>`
          SELECT state, cancel_reason, source FROM ev_reservations WHERE id = ${id}`.execute(
          central.database.db,
        )
      ).rows[0];
    const reservationsOf = async (tx: string) =>
      (
        await sql<{ id: string | number; state: string }>`SELECT id, state FROM ev_reservations
          WHERE source = 'federation' AND request_id LIKE ${`fed:company-a:${tx}:%`}
          ORDER BY id`.execute(central.database.db)
      ).rows.map((r) => ({ id: Number(r.id), state: r.state }));

    it('try holds the slot (201, then 200 with the same answer), confirm commits (also when repeated); headers echoed and logged', async () => {
      const tx = randomUUID();
      const body = tryBody({ ...slot(1), holdSeconds: 3_600 });
      const first = await doTry(tx, body);
      expect(first.status).toBe(201);
      // holdSeconds 3600 is capped by maxHoldMinutes (5).
      expect(first.body).toEqual({
        coordinator: 'company-a',
        txId: tx,
        branchId: '1',
        state: 'tried',
        pointId: points[0],
        start: body.start,
        end: body.end,
        reservationId: expect.any(Number),
        holdExpiresAt: new Date(clock.now() + 5 * MINUTE).toISOString(),
        reason: null,
      });
      const again = await doTry(tx, body);
      expect(again).toMatchObject({ status: 200, body: first.body });
      expect(await reservation(first.body.reservationId)).toEqual({
        state: 'PENDING',
        cancel_reason: null,
        source: 'federation',
      });
      // The same key for another slot is a conflict, not a second hold.
      const other = await doTry(tx, tryBody({ ...slot(1, 3) }));
      expect(other.status).toBe(409);
      expect(other.body.error.code).toBe('GL_CONFLICT');

      const requestId = randomUUID();
      const ok = await call('POST', `${branchPath(tx)}/confirm`, {
        token: tokens.a,
        headers: { 'X-Request-ID': requestId, 'X-Correlation-ID': tx },
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ state: 'committed', holdExpiresAt: null });
      expect(ok.headers.get('x-request-id')).toBe(requestId);
      expect(ok.headers.get('x-correlation-id')).toBe(tx);
      expect(
        lines.find((l) => l.msg === 'federation request' && l.requestId === requestId),
      ).toMatchObject({ correlationId: tx, status: 200, role: 'peer' });
      expect(await confirm(tx)).toMatchObject({ status: 200, body: ok.body });
      expect((await reservation(first.body.reservationId))?.state).toBe('RESERVED');
      // Without headers: a request id is made, the correlation id is the transaction's.
      const get = await call('GET', branchPath(tx), { token: tokens.a });
      expect(get.status).toBe(200);
      expect(get.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(get.headers.get('x-correlation-id')).toBe(tx);
      expect(await reservationsOf(tx)).toHaveLength(1);
    });

    it('cancel of a tried branch rolls it back and frees the slot; a late try or confirm is refused; repeats answer the same', async () => {
      const tx = randomUUID();
      const tried = await doTry(tx, tryBody({ ...slot(2) }));
      expect(tried.status).toBe(201);
      const canceled = await cancel(tx);
      expect(canceled).toMatchObject({ status: 200, body: { state: 'rolled_back' } });
      expect(await reservation(tried.body.reservationId)).toMatchObject({
        state: 'CANCELED',
        cancel_reason: 'FEDERATION',
      });
      expect(await cancel(tx)).toMatchObject({ status: 200, body: canceled.body });
      for (const late of [await doTry(tx, tryBody({ ...slot(2) })), await confirm(tx)]) {
        expect(late.status).toBe(409);
        expect(late.body.error.code).toBe('GL_FED_CANCELED');
      }
      // The slot is free again: another transaction takes it.
      expect((await doTry(randomUUID(), tryBody({ ...slot(2) }))).status).toBe(201);
    });

    it('a cancel before its try leaves suspended; the late try is refused and holds nothing', async () => {
      const tx = randomUUID();
      const early = await cancel(tx, {});
      expect(early).toMatchObject({
        status: 200,
        body: { state: 'suspended', reservationId: null, pointId: null },
      });
      const late = await doTry(tx, tryBody({ ...slot(3) }));
      expect(late.status).toBe(409);
      expect(late.body.error).toMatchObject({
        code: 'GL_FED_CANCELED',
        details: { state: 'suspended' },
      });
      expect(await reservationsOf(tx)).toEqual([]);
      expect(await cancel(tx)).toMatchObject({ status: 200, body: { state: 'suspended' } });
      const unknown = await confirm(randomUUID());
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('GL_FED_BRANCH_UNKNOWN');
    });

    it('a slot taken at try is 409 GL_EV_SLOT_TAKEN with the next free slots, and the branch is rolled back', async () => {
      const tx = randomUUID();
      const s = slot(11);
      await central.ev.reservations.book({
        pointId: points[0] as number,
        plate: 'XYZ9A87',
        start: new Date(s.start),
        end: new Date(s.end),
      });
      const taken = await doTry(tx, tryBody({ ...s }));
      expect(taken.status).toBe(409);
      expect(taken.body.error.code).toBe('GL_EV_SLOT_TAKEN');
      expect(taken.body.error.details.nextFree.length).toBeGreaterThan(0);
      expect((await call('GET', branchPath(tx), { token: tokens.a })).body).toMatchObject({
        state: 'rolled_back',
        reason: 'slot taken',
        reservationId: null,
      });
      expect(await cancel(tx)).toMatchObject({ status: 200, body: { state: 'rolled_back' } });
    });

    it('a confirm after the hold lapsed re-books the same slot when it is free, else GL_FED_HOLD_EXPIRED', async () => {
      // Free: the hold lapses (no monitor tick: confirm finds it lapsed), the slot is re-booked.
      const free = randomUUID();
      const t1 = await doTry(free, tryBody({ ...slot(4), holdSeconds: 60 }));
      expect(t1.status).toBe(201);
      clock.set(clock.now() + 2 * MINUTE);
      const rebooked = await confirm(free);
      expect(rebooked.status).toBe(200);
      expect(rebooked.body).toMatchObject({
        state: 'committed',
        reason: 'hold expired; re-booked the same slot',
      });
      expect(rebooked.body.reservationId).not.toBe(t1.body.reservationId);
      expect((await reservation(t1.body.reservationId))?.state).toBe('EXPIRED');
      expect((await reservation(rebooked.body.reservationId))?.state).toBe('RESERVED');
      expect(await confirm(free)).toMatchObject({ status: 200, body: rebooked.body });

      // Taken: the monitor expires the hold, the branch reads rolled_back (hold-expired), a
      // booking takes the slot, the confirm is refused.
      const lost = randomUUID();
      const t2 = await doTry(lost, tryBody({ ...slot(5), holdSeconds: 60 }));
      expect(t2.status).toBe(201);
      clock.set(clock.now() + 2 * MINUTE);
      await central.ev.reservations.tick();
      expect((await call('GET', branchPath(lost), { token: tokens.a })).body).toMatchObject({
        state: 'rolled_back',
        reason: 'hold-expired',
        holdExpiresAt: null,
      });
      const s = slot(5);
      await central.ev.reservations.book({
        pointId: points[0] as number,
        plate: 'XYZ9A87',
        start: new Date(s.start),
        end: new Date(s.end),
      });
      const refused = await confirm(lost);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('GL_FED_HOLD_EXPIRED');
      expect(await reservationsOf(lost)).toEqual([{ id: t2.body.reservationId, state: 'EXPIRED' }]);
      // A cancel after that answers rolled back (the coordinator compensates everywhere).
      expect(await cancel(lost)).toMatchObject({ status: 200, body: { state: 'rolled_back' } });
    });

    it('cancel of a committed branch is refused without compensate, undone with it', async () => {
      const tx = randomUUID();
      const t = await doTry(tx, tryBody({ ...slot(6) }));
      expect((await confirm(tx)).status).toBe(200);
      const refused = await cancel(tx);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('GL_FED_ALREADY_COMMITTED');
      // Errors carry the hop's headers too.
      expect(refused.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(refused.headers.get('x-correlation-id')).toBe(tx);
      expect((await reservation(t.body.reservationId))?.state).toBe('RESERVED');
      const undone = await cancel(tx, { compensate: true });
      expect(undone).toMatchObject({ status: 200, body: { state: 'compensated' } });
      expect(await reservation(t.body.reservationId)).toMatchObject({
        state: 'CANCELED',
        cancel_reason: 'FEDERATION',
      });
      expect(await cancel(tx, { compensate: true })).toMatchObject({
        status: 200,
        body: undone.body,
      });
      expect(await cancel(tx)).toMatchObject({ status: 200, body: undone.body });
      expect((await confirm(tx)).body.error.code).toBe('GL_FED_CANCELED');
    });

    it('five identical tries at once hold one reservation; five confirms at once commit it once', async () => {
      const tx = randomUUID();
      const body = tryBody({ ...slot(7) });
      const tries = await Promise.all([1, 2, 3, 4, 5].map(() => doTry(tx, body)));
      expect(tries.map((t) => t.status).sort()).toEqual([200, 200, 200, 200, 201]);
      const ids = new Set(tries.map((t) => t.body.reservationId));
      expect(ids.size).toBe(1);
      expect(await reservationsOf(tx)).toHaveLength(1);
      const confirms = await Promise.all([1, 2, 3, 4, 5].map(() => confirm(tx)));
      expect(confirms.map((c) => [c.status, c.body.state])).toEqual(
        Array(5).fill([200, 'committed']),
      );
      expect((await reservationsOf(tx)).map((r) => r.state)).toEqual(['RESERVED']);
    });

    it('a try and a cancel racing end in one consistent state: either rolled back or suspended, no live hold', async () => {
      for (let i = 0; i < 4; i++) {
        const tx = randomUUID();
        const [t, c] = await Promise.all([doTry(tx, tryBody({ ...slot(8, i) })), cancel(tx)]);
        expect(c.status).toBe(200);
        if (c.body.state === 'suspended') expect(t.status).toBe(409);
        else {
          expect(c.body.state).toBe('rolled_back');
          expect(t.status).toBe(201);
        }
        const live = (await reservationsOf(tx)).filter(
          (r) => r.state === 'PENDING' || r.state === 'RESERVED',
        );
        expect(live).toEqual([]);
      }
    });

    it('a peer token whose subject is not a configured peer is 403 GL_FED_UNKNOWN_PEER; peer tokens reach no other route', async () => {
      for (const [method, path, body] of [
        ['GET', '/api/v1/federation/catalog', undefined],
        ['PUT', branchPath(randomUUID()), tryBody()],
        ['GET', '/api/v1/federation/branches', undefined],
      ] as const) {
        const r = await call(method, path, { token: tokens.stranger, body });
        expect({ path, status: r.status, code: r.body.error.code }).toEqual({
          path,
          status: 403,
          code: 'GL_FED_UNKNOWN_PEER',
        });
      }
      for (const [method, path] of [
        ['GET', '/api/v1/customers'],
        ['GET', '/api/v1/meters'],
        ['GET', '/api/v1/reservations'],
        ['GET', '/api/v1/stations'],
        ['GET', '/api/v1/tokens'],
        ['GET', '/api/v1/alarms'],
        ['POST', '/api/v1/reservations'],
      ] as const) {
        const r = await call(method, path, {
          token: tokens.a,
          ...(method === 'POST' ? { body: {} } : {}),
        });
        expect({ path, status: r.status, code: r.body?.error?.code }).toEqual({
          path,
          status: 403,
          code: 'GL_FORBIDDEN',
        });
      }
      // Staff may not try, confirm or cancel: those are a coordinator's.
      const staff = await doTry(randomUUID(), tryBody(), tokens.admin);
      expect(staff.status).toBe(403);
      // The OpenAPI document declares each route's policy from the access table.
      const doc = (await call('GET', '/openapi.json')).body;
      const branch = doc.paths['/api/v1/federation/transactions/{txId}/branches/{branchId}'];
      expect(branch.put['x-gridlink-policy']).toEqual({
        resource: 'federation',
        action: 'create',
        roles: { peer: 'own' },
      });
      expect(
        doc.paths['/api/v1/federation/transactions/{txId}/branches/{branchId}/cancel'].post[
          'x-gridlink-policy'
        ].roles,
      ).toEqual({ peer: 'own' });
      expect(doc.paths['/api/v1/federation/branches'].get['x-gridlink-policy'].roles).toEqual({
        admin: 'all',
        operator: 'all',
        peer: 'own',
      });
    });

    it('bad input is 400 with a message naming what is wrong', async () => {
      const tx = randomUUID();
      const cases: Array<[string, string, unknown, string]> = [
        ['PUT', branchPath('not-a-uuid'), tryBody(), 'txId'],
        ['PUT', branchPath(tx, '0'), tryBody(), 'branchId'],
        ['PUT', branchPath(tx, '12345'), tryBody(), 'branchId'],
        [
          'PUT',
          branchPath(tx),
          tryBody({ start: '2027-01-05T10:00:00.500Z', end: slot(1).end }),
          'whole seconds',
        ],
        ['PUT', branchPath(tx), tryBody({ start: slot(1).end, end: slot(1).start }), 'end'],
        ['PUT', branchPath(tx), tryBody({ holdSeconds: 1e9 }), 'holdSeconds'],
        ['PUT', branchPath(tx), tryBody({ holdSeconds: 5 }), 'holdSeconds'],
        ['PUT', branchPath(tx), tryBody({ extra: 1 }), 'extra'],
        ['PUT', branchPath(tx), tryBody({ trip: undefined }), 'trip'],
        ['PUT', branchPath(tx), tryBody({ pointId: '1' }), 'pointId'],
        ['PUT', branchPath(tx), tryBody({ start: 'tomorrow' }), 'start'],
        ['POST', `${branchPath(tx)}/cancel`, { compensate: 'yes' }, 'compensate'],
        ['POST', `${branchPath(tx)}/cancel`, { reason: 'x' }, 'reason'],
      ];
      for (const [method, path, body, names] of cases) {
        const r = await call(method, path, { token: tokens.a, body });
        expect({ path, body, status: r.status, code: r.body.error.code }).toEqual({
          path,
          body,
          status: 400,
          code: 'GL_VALIDATION',
        });
        expect(r.body.error.message).toContain(names);
      }
      const header = await call('GET', '/api/v1/federation/catalog', {
        token: tokens.a,
        headers: { 'X-Request-ID': 'a b\tc' },
      });
      expect(header.status).toBe(400);
      expect(header.body.error.message).toContain('X-Request-ID');
      // A point that does not exist.
      const none = await doTry(tx, tryBody({ pointId: 999_999 }));
      expect(none.status).toBe(404);
      // Nothing of it was recorded: the transaction has no branch.
      expect((await call('GET', branchPath(tx), { token: tokens.a })).status).toBe(404);
    });

    it('the catalog lists our stations and points: usable, state, power, tariff and live bookings ahead', async () => {
      const held = slot(1, 3);
      expect((await doTry(randomUUID(), tryBody({ ...held, pointId: points[1] }))).status).toBe(
        201,
      );
      const beyond = slot(3);
      await central.ev.reservations.book({
        pointId: points[1] as number,
        plate: 'XYZ9A87',
        start: new Date(beyond.start),
        end: new Date(beyond.end),
      });
      const r = await call('GET', '/api/v1/federation/catalog', { token: tokens.a });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        peer: 'company-b',
        generatedAt: new Date(clock.now()).toISOString(),
        busyUntil: new Date(clock.now() + 48 * HOUR).toISOString(),
      });
      expect(r.body.stations).toHaveLength(1);
      const [station] = r.body.stations;
      expect(station).toMatchObject({ companyId: 'company-b', name: 'Centro', latitude: -12.25 });
      const [p1, p2, p3] = station.points;
      expect(p1).toMatchObject({ id: points[0], usable: true, state: 'available', powerKw: 60 });
      expect(p1.price).toEqual({ currency: 'BRL', elements: [] });
      // Live bookings ahead within the 48 h horizon: the held try, not the booking 70 h ahead.
      expect(p2).toMatchObject({ id: points[1], usable: true, powerKw: 50, busy: [held] });
      expect(p3).toMatchObject({ id: points[2], usable: false });
    });

    it('branches by transaction: a peer its own, staff all or their company’s; peer tokens minted over the API', async () => {
      const tx = randomUUID();
      expect((await doTry(tx, tryBody({ ...slot(9) }))).status).toBe(201);
      const q = `/api/v1/federation/branches?txId=${tx}`;
      const mine = await call('GET', q, { token: tokens.a });
      expect(mine.body.items.map((b: { txId: string }) => b.txId)).toEqual([tx]);
      expect((await call('GET', q, { token: tokens.feira })).body.items).toEqual([]);
      expect((await call('GET', branchPath(tx), { token: tokens.feira })).status).toBe(404);
      expect((await call('GET', q, { token: tokens.admin })).body.items).toHaveLength(1);
      expect((await call('GET', q, { token: tokens.opB })).body.items).toHaveLength(1);
      expect((await call('GET', q, { token: tokens.opOther })).body.items).toEqual([]);
      expect((await call('GET', branchPath(tx), { token: tokens.opB })).body).toMatchObject({
        coordinator: 'company-a',
        state: 'tried',
      });
      const bad = await call('GET', '/api/v1/federation/branches?txId=nope', {
        token: tokens.admin,
      });
      expect(bad.status).toBe(400);
      const minted = await call('POST', '/api/v1/tokens', {
        token: tokens.admin,
        body: { role: 'peer', subject: 'company-a' },
      });
      expect(minted).toMatchObject({ status: 201, body: { role: 'peer', subject: 'company-a' } });
      const catalog = await call('GET', '/api/v1/federation/catalog', { token: minted.body.token });
      expect(catalog.status).toBe(200);
      const noSubject = await call('POST', '/api/v1/tokens', {
        token: tokens.admin,
        body: { role: 'peer' },
      });
      expect(noSubject.status).toBe(400);
      expect(noSubject.body.error.message).toContain('federation name');
    });
  });
}
