import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import type { Database } from '../src/storage/index.js';
import { testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

/** The seed network files, byte-exact copies kept with the demo (deploy/demo/seed/README.md). */
const SEED = fileURLToPath(new URL('../../deploy/demo/seed', import.meta.url));
const seed = (name: string) => readFileSync(`${SEED}/${name}`);

describeEachStore('EV network: import and API', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  const tokens = { admin: '', opA: '', opB: '', driver: '', customer: '' };

  /** POSTs a CSV body to the import route. */
  const importCsv = async (
    token: string,
    company: string,
    query: string,
    body: Uint8Array | string,
    type = 'text/csv; charset=utf-8',
  ) => {
    const res = await api.app.request(`/api/v1/companies/${company}/imports?${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body,
    });
    // biome-ignore lint/suspicious/noExplicitAny: the report's JSON
    return { status: res.status, body: (await res.json()) as any };
  };
  const countRows = async () => ({
    stations: Number(
      (
        await database.db
          .selectFrom('ev_stations')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
    points: Number(
      (
        await database.db
          .selectFrom('ev_points')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    ),
  });

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    tokens.admin = await mintToken(database.db, { role: 'admin' });
    tokens.driver = await mintToken(database.db, { role: 'driver', subject: '1' });
    tokens.customer = await mintToken(database.db, { role: 'customer', subject: '1' });
    for (const [id, name] of [
      ['company-a', 'Company A'],
      ['company-b', 'Company B'],
    ]) {
      const made = await api.call('POST', '/api/v1/companies', {
        token: tokens.admin,
        body: { id, name },
      });
      expect(made.status, made.text).toBe(201);
    }
    tokens.opA = await mintToken(database.db, { role: 'operator', subject: 'company-a' });
    tokens.opB = await mintToken(database.db, { role: 'operator', subject: 'company-b' });
  });
  afterAll(async () => database?.dispose());

  it('imports the Feira de Santana file: 100 stations, 250 points; a second run changes nothing', async () => {
    const first = await importCsv(
      tokens.admin,
      'feira',
      'format=feira&name=Feira%20de%20Santana',
      seed('feira_de_santana_stations.csv'),
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      companyId: 'feira',
      companyCreated: true,
      rows: 100,
      created: 100,
      updated: 0,
      unchanged: 0,
      rejected: 0,
      points: { created: 250, updated: 0, unchanged: 0 },
      errors: [],
    });
    expect(first.body.warnings).toEqual([
      {
        line: 5,
        column: 5,
        field: 'longitude',
        reason: '"-38.9545 sometimes" read as -38.9545: the words after the number are ignored',
      },
    ]);
    const again = await importCsv(
      tokens.admin,
      'feira',
      'format=feira',
      seed('feira_de_santana_stations.csv'),
    );
    expect(again.body).toMatchObject({
      companyCreated: false,
      created: 0,
      updated: 0,
      unchanged: 100,
      rejected: 0,
      points: { created: 0, updated: 0, unchanged: 250 },
    });
    expect(await countRows()).toEqual({ stations: 100, points: 250 });

    const company = await api.call('GET', '/api/v1/companies/feira', { token: tokens.admin });
    expect(company.body).toMatchObject({ id: 'feira', name: 'Feira de Santana' });
    const page = await api.call('GET', '/api/v1/stations?company=feira&limit=500', {
      token: tokens.driver,
    });
    const four = page.body.items.find((s: { externalId: string }) => s.externalId === '4');
    expect(four).toMatchObject({
      name: 'Recarga Rápida Brasília',
      latitude: -12.268,
      longitude: -38.9545,
      points: 1,
      availablePoints: 1,
    });
    const detail = await api.call('GET', `/api/v1/stations/${four.id}`, { token: tokens.driver });
    expect(detail.body.pointList).toHaveLength(1);
    expect(detail.body.pointList[0]).toMatchObject({
      name: 'Recarga Rápida Brasília #1',
      externalId: '1',
      active: true,
      available: true,
      state: 'unknown',
      charger: null,
      maintenance: { on: false },
      connectors: [{ connectorNo: 1, standard: 'type2', powerType: 'ac', maxPowerW: 22_000 }],
    });
  });

  it('imports both company files (120 + 120); the last row\'s "ativo " is active', async () => {
    for (const [company, file] of [
      ['company-a', 'company-a-points.csv'],
      ['company-b', 'company-b-points.csv'],
    ] as const) {
      const r = await importCsv(
        tokens.admin,
        company,
        'format=points&connector=ccs2:60000',
        seed(file),
      );
      expect(r.body).toMatchObject({
        rows: 120,
        created: 120,
        rejected: 0,
        errors: [],
        warnings: [],
      });
      expect(r.body.points.created).toBe(120);
      const last = await api.call(
        'GET',
        `/api/v1/stations?company=${company}&limit=1&cursor=${await lastButOne(company)}`,
        {
          token: tokens.admin,
        },
      );
      expect(last.body.items[0]).toMatchObject({
        externalId: '120',
        points: 1,
        availablePoints: 1,
      });
      const station = await api.call('GET', `/api/v1/stations/${last.body.items[0].id}`, {
        token: tokens.admin,
      });
      expect(station.body.pointList[0]).toMatchObject({
        externalId: '120',
        active: true,
        connectors: [{ standard: 'ccs2', powerType: 'dc', maxPowerW: 60_000 }],
      });
    }
  });

  /** The id of company's 119th station: a cursor whose next page is the 120th. */
  async function lastButOne(company: string): Promise<number> {
    const row = await database.db
      .selectFrom('ev_stations')
      .select('id')
      .where('company_id', '=', company)
      .where('external_id', '=', '119')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  it('a dirty file: good rows stored, every bad row reported (line, column, reason), nothing of it written', async () => {
    const before = await countRows();
    const dirty = [
      'id;nomeDoPosto;endereço;latitude;longitude;quantidadeDeVeiculosSimultaneos',
      '1;Posto Bom;"Rua A; 10";-12.25;-38.96;2',
      '2;Sem coluna;Rua B;-12.25;-38.96',
      '3;Latitude ruim;Rua C;-91;-38.96;1',
      '',
      '1;Duplicado;Rua D;-12.25;-38.96;1',
      '5;Quatro "aspas;Rua E;-12.25;-38.96;1',
    ].join('\r\n');
    const r = await importCsv(tokens.admin, 'dirty', 'format=feira', `\ufeff${dirty}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rows: 5, created: 1, rejected: 4 });
    expect(
      r.body.errors.map((e: { line: number; column: number | null }) => [e.line, e.column]),
    ).toEqual([
      [3, null],
      [4, 4],
      [6, 1],
      [7, 2],
    ]);
    expect(await countRows()).toEqual({ stations: before.stations + 1, points: before.points + 2 });
    const stored = await api.call('GET', '/api/v1/stations?company=dirty', { token: tokens.admin });
    expect(
      stored.body.items.map((s: { name: string; address: string }) => [s.name, s.address]),
    ).toEqual([['Posto Bom', 'Rua A; 10']]);

    // Latin-1 bytes (a spreadsheet's export): that line is refused, the others are read.
    const latin1 = Buffer.concat([
      Buffer.from('id,nome,latitude,longitude,status\n1,Esta', 'utf8'),
      Buffer.from([0xe7, 0xe3]),
      Buffer.from('o,-23.5,-46.6,ativo\n2,Ok,-23.5,-46.6,inativo', 'utf8'),
    ]);
    const l = await importCsv(tokens.admin, 'latin', 'format=points', latin1);
    expect(l.body).toMatchObject({ created: 1, rejected: 1 });
    expect(l.body.errors).toEqual([
      { line: 2, column: null, field: null, reason: 'not UTF-8 (byte 7 of the line)' },
    ]);
  });

  it('re-import updates what changed: a renamed point, a point switched off', async () => {
    const text = (name: string, status: string) =>
      `id,nome,latitude,longitude,status\n7,${name},-23.5,-46.6,${status}`;
    expect(
      (await importCsv(tokens.admin, 'edits', 'format=points', text('Ponto 7', 'ativo'))).body,
    ).toMatchObject({ created: 1 });
    const r = await importCsv(
      tokens.admin,
      'edits',
      'format=points',
      text('Ponto Sete', 'inativo'),
    );
    expect(r.body).toMatchObject({ created: 0, updated: 1, unchanged: 0, points: { updated: 1 } });
    const list = await api.call('GET', '/api/v1/stations?company=edits', { token: tokens.admin });
    expect(list.body.items[0]).toMatchObject({ name: 'Ponto Sete', points: 1, availablePoints: 0 });
  });

  it('refuses what cannot start with a code: no format, not CSV, bad connector, nobody', async () => {
    expect((await importCsv(tokens.admin, 'x', '', 'a')).body.error.code).toBe('GL_VALIDATION');
    const json = await importCsv(tokens.admin, 'x', 'format=feira', '{}', 'application/json');
    expect([json.status, json.body.error.code]).toEqual([415, 'GL_PAYLOAD_MEDIA_TYPE']);
    const conn = await importCsv(tokens.admin, 'x', 'format=feira&connector=ccs2:ac', 'a');
    expect([conn.status, conn.body.error.code]).toEqual([400, 'GL_VALIDATION']);
    const driver = await importCsv(tokens.driver, 'x', 'format=feira', 'a');
    expect([driver.status, driver.body.error.code]).toEqual([403, 'GL_FORBIDDEN']);
    const customer = await api.call('GET', '/api/v1/stations', { token: tokens.customer });
    expect(customer.status).toBe(403);
    expect(
      await database.db.selectFrom('ev_companies').select('id').where('id', '=', 'x').execute(),
    ).toEqual([]);
  });

  it('operators see and change only their company: the other company looks absent (404)', async () => {
    const stationOf = async (company: string) =>
      Number(
        (
          await database.db
            .selectFrom('ev_stations')
            .select('id')
            .where('company_id', '=', company)
            .orderBy('id')
            .executeTakeFirstOrThrow()
        ).id,
      );
    const a = await stationOf('company-a');
    const b = await stationOf('company-b');
    const bPoint = Number(
      (
        await database.db
          .selectFrom('ev_points')
          .select('id')
          .where('station_id', '=', b)
          .executeTakeFirstOrThrow()
      ).id,
    );

    const companies = await api.call('GET', '/api/v1/companies', { token: tokens.opA });
    expect(companies.body.items.map((c: { id: string }) => c.id)).toEqual(['company-a']);
    const all = await api.call('GET', '/api/v1/stations?limit=500', { token: tokens.opA });
    expect(new Set(all.body.items.map((s: { companyId: string }) => s.companyId))).toEqual(
      new Set(['company-a']),
    );
    expect((await api.call('GET', `/api/v1/stations/${a}`, { token: tokens.opA })).status).toBe(
      200,
    );
    for (const [method, path, body] of [
      ['GET', `/api/v1/stations/${b}`, undefined],
      ['PATCH', `/api/v1/stations/${b}`, { name: 'taken over' }],
      ['GET', `/api/v1/points/${bPoint}`, undefined],
      ['PATCH', `/api/v1/points/${bPoint}`, { active: false }],
      ['POST', `/api/v1/points/${bPoint}/connectors`, { standard: 'type2', maxPowerW: 7400 }],
      ['POST', `/api/v1/stations/${b}/points`, { name: 'intruder' }],
      ['GET', '/api/v1/companies/company-b', undefined],
      [
        'POST',
        '/api/v1/stations',
        { companyId: 'company-b', name: 'x', latitude: 0, longitude: 0 },
      ],
    ] as const) {
      const r = await api.call(method, path, { token: tokens.opA, body });
      expect([method, path, r.status, r.body?.error?.code]).toEqual([
        method,
        path,
        404,
        'GL_NOT_FOUND',
      ]);
    }
    const into = await importCsv(
      tokens.opA,
      'company-b',
      'format=points',
      'id,nome,latitude,longitude,status\n999,x,0,0,ativo',
    );
    expect([into.status, into.body.error.code]).toEqual([404, 'GL_NOT_FOUND']);
    const newCompany = await api.call('POST', '/api/v1/companies', {
      token: tokens.opA,
      body: { id: 'mine', name: 'Mine' },
    });
    expect([newCompany.status, newCompany.body.error.code]).toEqual([403, 'GL_FORBIDDEN']);
    // Nothing of company b changed.
    const bNow = await api.call('GET', `/api/v1/stations/${b}`, { token: tokens.opB });
    expect(bNow.body.name).toBe('Ponto A1');
    expect(bNow.body.pointList[0].active).toBe(true);
    expect(bNow.body.pointList[0].connectors).toHaveLength(1);
    // Its own: allowed.
    const own = await api.call('PATCH', `/api/v1/stations/${a}`, {
      token: tokens.opA,
      body: { address: 'Av. Paulista, 1000' },
    });
    expect([own.status, own.body.address]).toEqual([200, 'Av. Paulista, 1000']);
  });

  it('drivers read the network and change nothing (403)', async () => {
    const list = await api.call('GET', '/api/v1/stations?limit=2', { token: tokens.driver });
    expect(list.status).toBe(200);
    const id = list.body.items[0].id;
    expect(
      (
        await api.call('PATCH', `/api/v1/stations/${id}`, {
          token: tokens.driver,
          body: { name: 'x' },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api.call('POST', '/api/v1/companies', {
          token: tokens.driver,
          body: { id: 'd', name: 'd' },
        })
      ).status,
    ).toBe(403);
  });

  it('lists near a place, with a free point, a page at a time', async () => {
    // Feira de Santana centre; the São Paulo and Rio points are hundreds of km away.
    const near = await api.call(
      'GET',
      '/api/v1/stations?company=feira&lat=-12.2664&lon=-38.9663&radiusKm=3&limit=500',
      {
        token: tokens.driver,
      },
    );
    expect(near.body.items.length).toBeGreaterThan(10);
    expect(
      near.body.items.every(
        (s: { companyId: string; distanceKm: number }) =>
          s.companyId === 'feira' && s.distanceKm <= 3,
      ),
    ).toBe(true);
    const nearAll = await api.call(
      'GET',
      '/api/v1/stations?company=feira&lat=-12.2664&lon=-38.9663&radiusKm=50&limit=500',
      {
        token: tokens.driver,
      },
    );
    expect(nearAll.body.items).toHaveLength(100);
    const half = await api.call('GET', '/api/v1/stations?lat=-12.2664&lon=-38.9663', {
      token: tokens.driver,
    });
    expect([half.status, half.body.error.code]).toEqual([400, 'GL_VALIDATION']);

    // A charger's state (ev/live writes these columns) decides availability.
    const station = nearAll.body.items.find((s: { points: number }) => s.points === 1);
    const pointId = Number(
      (
        await database.db
          .selectFrom('ev_points')
          .select('id')
          .where('station_id', '=', station.id)
          .executeTakeFirstOrThrow()
      ).id,
    );
    await database.db
      .updateTable('ev_points')
      .set({ edge_id: 'edge-1', device_id: 'charger-1', state: 'faulted', fault_code: 7 })
      .where('id', '=', pointId)
      .execute();
    const free = await api.call('GET', '/api/v1/stations?company=feira&available=true&limit=500', {
      token: tokens.driver,
    });
    expect(free.body.items).toHaveLength(99);
    expect(free.body.items.map((s: { id: number }) => s.id)).not.toContain(station.id);
    const point = await api.call('GET', `/api/v1/points/${pointId}`, { token: tokens.driver });
    expect(point.body).toMatchObject({
      state: 'faulted',
      faultCode: 7,
      available: false,
      charger: { edgeId: 'edge-1', deviceId: 'charger-1' },
    });

    // Pages: 100 stations in pages of 30 are 30, 30, 30, 10, each once.
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await api.call(
        'GET',
        `/api/v1/stations?company=feira&limit=30${cursor ? `&cursor=${cursor}` : ''}`,
        {
          token: tokens.driver,
        },
      );
      seen.push(...page.body.items.map((s: { id: number }) => s.id));
      cursor = page.body.next;
    } while (cursor);
    expect(seen).toHaveLength(100);
    expect(new Set(seen).size).toBe(100);
  });

  it('points: tariff checked against the OCPI schema (nothing stored when bad), connectors checked', async () => {
    const created = await api.call('POST', '/api/v1/stations', {
      token: tokens.opA,
      body: {
        companyId: 'company-a',
        name: 'Posto Paulista',
        latitude: -23.56,
        longitude: -46.65,
        timeZone: 'America/Sao_Paulo',
        points: [
          { name: 'AC', connectors: [{ standard: 'type2', maxPowerW: 22_000 }] },
          {
            name: 'DC',
            connectors: [
              { standard: 'ccs2', maxPowerW: 150_000 },
              { standard: 'chademo', maxPowerW: 50_000 },
            ],
          },
        ],
      },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      companyId: 'company-a',
      timeZone: 'America/Sao_Paulo',
      points: 2,
    });
    const dc = created.body.pointList[1];
    expect(dc.connectors.map((c: { powerType: string }) => c.powerType)).toEqual(['dc', 'dc']);

    const bad = await api.call('PATCH', `/api/v1/points/${dc.id}`, {
      token: tokens.opA,
      body: {
        name: 'renamed',
        tariff: { elements: [{ price_components: [{ type: 'ENERGY', price: '1,95' }] }] },
      },
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'GL_VALIDATION']);
    expect(bad.body.error.message).toContain('tariff.elements.0.price_components.0.price');
    const unchanged = await api.call('GET', `/api/v1/points/${dc.id}`, { token: tokens.opA });
    expect([unchanged.body.name, unchanged.body.tariff]).toEqual(['DC', null]);

    const tariff = { elements: [{ price_components: [{ type: 'ENERGY', price: '2.50' }] }] };
    const good = await api.call('PATCH', `/api/v1/points/${dc.id}`, {
      token: tokens.opA,
      body: { tariff, active: false },
    });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({
      active: false,
      available: false,
      tariff: {
        currency: 'BRL',
        elements: [{ price_components: [{ type: 'ENERGY', price: '2.50', step_size: 1 }] }],
      },
    });
    const cleared = await api.call('PATCH', `/api/v1/points/${dc.id}`, {
      token: tokens.opA,
      body: { tariff: null },
    });
    expect(cleared.body.tariff).toBeNull();

    const wrongCurrent = await api.call('POST', `/api/v1/points/${dc.id}/connectors`, {
      token: tokens.opA,
      body: { standard: 'ccs2', powerType: 'ac', maxPowerW: 50_000 },
    });
    expect([wrongCurrent.status, wrongCurrent.body.error.message]).toEqual([
      400,
      'connector.powerType: ccs2 is DC, not AC',
    ]);
    const third = await api.call('POST', `/api/v1/points/${dc.id}/connectors`, {
      token: tokens.opA,
      body: { standard: 'gbt_dc', maxPowerW: 60_000 },
    });
    expect(third.body).toEqual({
      connectorNo: 3,
      standard: 'gbt_dc',
      powerType: 'dc',
      maxPowerW: 60_000,
    });
    const replaced = await api.call('PUT', `/api/v1/points/${dc.id}/connectors/3`, {
      token: tokens.opA,
      body: { standard: 'ccs2', maxPowerW: 350_000 },
    });
    expect(replaced.body).toEqual({
      connectorNo: 3,
      standard: 'ccs2',
      powerType: 'dc',
      maxPowerW: 350_000,
    });
    expect(
      (
        await api.call('PUT', `/api/v1/points/${dc.id}/connectors/8`, {
          token: tokens.opA,
          body: { standard: 'ccs2', maxPowerW: 1 },
        })
      ).status,
    ).toBe(404);

    const zone = await api.call('PATCH', `/api/v1/stations/${created.body.id}`, {
      token: tokens.opA,
      body: { timeZone: 'Mars/Olympus' },
    });
    expect([zone.status, zone.body.error.code]).toEqual([400, 'GL_VALIDATION']);
    const dup = await api.call('POST', '/api/v1/companies', {
      token: tokens.admin,
      body: { id: 'company-a', name: 'again' },
    });
    expect([dup.status, dup.body.error.code]).toEqual([409, 'GL_CONFLICT']);
  });

  it('an operator token may name an existing company only', async () => {
    const ok = await api.call('POST', '/api/v1/tokens', {
      token: tokens.admin,
      body: { role: 'operator', subject: 'company-a' },
    });
    expect(ok.status, ok.text).toBe(201);
    const scoped = await api.call('GET', '/api/v1/companies', { token: ok.body.token });
    expect(scoped.body.items.map((c: { id: string }) => c.id)).toEqual(['company-a']);
    const none = await api.call('POST', '/api/v1/tokens', {
      token: tokens.admin,
      body: { role: 'operator', subject: 'nobody-co' },
    });
    expect([none.status, none.body.error.message]).toEqual([
      400,
      'subject: no charging company nobody-co',
    ]);
  });
});
