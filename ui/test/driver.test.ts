import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken, startCentral, upsertEdgeCredential } from '@gridlink/central';
import { edgeTopic, FakeClock } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  buildUiOnce,
  decodeQr,
  keepScreenshot,
  launchChromium,
  requireChromium,
} from './helpers/browser.js';
import { connectEdge, PIX } from './helpers/portal.js';

/**
 * Issue #20, driver pages and the public availability page: a real central (PGlite, embedded
 * broker) serving the built UI. Fed the real way: a charger on an edge (status and telemetry over
 * MQTT) charges the driver's booked car, so a priced session with a Pix receipt exists; the car
 * reports its battery over `carros/{placa}/status` with its own MQTT credential. Then a real
 * Chromium signs the driver in, reads the car's battery (and its next report), plans Feira de
 * Santana → Salvador, books the stop, finds the booking in the operator console, cancels it with a
 * reason, reads the receipt (its QR decoded from the page's pixels) and, signed out, the public
 * availability page. axe-core on every page, both languages.
 *
 * Clock: the charging session happens three hours before NOW (16 Nov 2026 12:00 in
 * America/Bahia), minute by minute on the FakeClock; the rest at NOW (the browser's clock too).
 */
const NOW = Date.parse('2026-11-16T15:00:00Z');
const S = NOW - 3 * 3_600_000;
const MIN = 60_000;
const DOC = '111.444.777-35';
const PASSWORD = 'motorista-forte-1';
const PLATE = 'RBA4E21';
const COMPANY = 'bahia-recarga';
const EDGE = 'edge-dr';

const money = (locale: string, reais: number) =>
  new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' }).format(reais);

/**
 * As helpers/portal.ts startPortalCentral, with the Pix receiver in the config too: charging
 * receipts take `billing.pix` from the config (central.ts), invoices from the deps.
 */
async function startDriverCentral(now: number) {
  const dataDir = await mkdtemp(join(tmpdir(), 'gl-ui-driver-'));
  const clock = new FakeClock(now);
  const central = await startCentral(
    { dataDir, http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 }, billing: { pix: PIX } },
    {
      logger: pino({ level: 'silent' }),
      clock,
      billing: { pix: PIX },
      scheduler: { schedule: () => ({ stop: () => undefined }) },
    },
  );
  const admin = await mintToken(central.database.db, { role: 'admin', now: new Date(now) });
  const api = async (method: string, path: string, body?: unknown, token = admin) => {
    const res = await fetch(`${central.http.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of several shapes
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
  };
  return {
    central,
    clock,
    api,
    async close() {
      await central.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * For beforeAll (expect.poll works only inside a test): asks `read` again after each answer
 * until `done` holds; fails with the last answer after 15 s.
 */
async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// Needs Debian's chromium: without it this fails under CI=true (requireChromium throws) and
// elsewhere the suite is skipped with a loud notice; .ci/run installs it.
const run = requireChromium('ui driver pages (browser)');

describe.skipIf(!run)(
  'driver pages and public availability in Chromium against a real central',
  () => {
    let t: Awaited<ReturnType<typeof startDriverCentral>>;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let car: MqttClient;
    let driverToken: string;
    let chargerPoint: number;
    let sessionId: number;
    let bookedReservation: number;
    let bookedStation: number;
    let maintained: number;
    let liveAfter = -1;
    const stationIds: number[] = [];
    const cspErrors: string[] = [];
    const url = (path: string) => `${t.central.http.url}${path}`;

    const report = async (pct: number) => {
      await car.publishAsync(
        `carros/${PLATE}/status`,
        JSON.stringify({ placa: PLATE, nivel_bateria: pct, em_carregamento: false }),
        { qos: 1 },
      );
      await until(
        async () => (await t.api('GET', `/cars/${PLATE}`)).body.last?.batteryPct,
        (v) => v === pct,
        `the car's battery ${pct}`,
      );
    };

    const newPage = async (ctx: BrowserContext) => {
      const p = await ctx.newPage();
      await p.clock.setFixedTime(NOW);
      p.setDefaultTimeout(10_000);
      p.on('pageerror', (e) => console.error(`page error: ${e.message}`));
      p.on('console', (m) => {
        if (m.type() === 'error') console.error(`page console: ${m.text()}`);
        if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      });
      return p;
    };

    beforeAll(async () => {
      buildUiOnce();
      t = await startDriverCentral(S);
      // The network, through the API: two stations on the BR-324 between Feira and Salvador, and
      // one far off the route whose point has a charger on an edge.
      expect(
        (await t.api('POST', '/companies', { id: COMPANY, name: 'Bahia Recarga' })).status,
      ).toBe(201);
      for (const [name, latitude, longitude] of [
        ['Posto Amélia Rodrigues', -12.39, -38.76],
        ['Posto Simões Filho', -12.78, -38.4],
        ['Posto Vitória da Conquista', -14.86, -40.84],
      ] as const) {
        const s = await t.api('POST', '/stations', {
          companyId: COMPANY,
          name,
          latitude,
          longitude,
          timeZone: 'America/Bahia',
          points: [{ name: `${name} P1` }, { name: `${name} P2` }],
        });
        expect(s.status, JSON.stringify(s.body)).toBe(201);
        stationIds.push(s.body.id);
        chargerPoint = s.body.pointList[0].id;
      }
      // A point in maintenance, with a note that is nobody else's business.
      maintained = (await t.api('GET', `/stations/${stationIds[0]}`)).body.pointList[1].id;
      expect(
        (
          await t.api('PUT', `/points/${maintained}/maintenance`, {
            on: true,
            reason: 'cabo trocado por João',
          })
        ).status,
      ).toBe(200);
      // The driver (staff create it), signs in over the API for the set-up, registers its car.
      expect(
        (
          await t.api('POST', '/drivers', {
            document: DOC,
            name: 'Bruno Motorista',
            password: PASSWORD,
          })
        ).status,
      ).toBe(201);
      const login = await fetch(url('/api/v1/auth/driver-login'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ document: DOC, password: PASSWORD }),
      });
      driverToken = ((await login.json()) as { token: string }).token;
      const registered = await t.api(
        'POST',
        '/cars',
        { plate: PLATE, model: 'Nissan Leaf' },
        driverToken,
      );
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      const credential = await t.api(
        'POST',
        `/cars/${PLATE}/mqtt-credential`,
        undefined,
        driverToken,
      );
      car = await mqtt.connectAsync(t.central.mqttUrl, {
        username: `car@${PLATE}`,
        password: credential.body.secret,
        clientId: `car@${PLATE}:ui-test`,
        reconnectPeriod: 0,
      });

      // The charger: the edge's status lists it; an operator binds it to the Feira point.
      const status = await mqtt.connectAsync(t.central.mqttUrl, {
        username: EDGE,
        password: await upsertEdgeCredential(t.central.database.db, EDGE),
        clientId: `edge-${EDGE}:status`,
        reconnectPeriod: 0,
      });
      await status.publishAsync(
        edgeTopic(EDGE, 'status'),
        JSON.stringify({
          edgeId: EDGE,
          online: true,
          at: S,
          devices: [
            {
              deviceId: 'charger-dr',
              kind: 'charger',
              profile: 'gridlink-charger',
              driver: 'modbus-tcp',
              online: true,
              lastOkAt: S,
              consecutiveFailures: 0,
              polls: 1,
              failures: 0,
              overruns: 0,
              lastError: null,
            },
          ],
        }),
        { qos: 1, retain: true },
      );
      // The status is stored in the background: the binding succeeds once the charger is known.
      await until(
        () =>
          t.api('PUT', `/points/${chargerPoint}/binding`, { edgeId: EDGE, deviceId: 'charger-dr' }),
        (r) => r.status === 200,
        'binding the charger',
      );
      // The driver books the charger's point; its car plugs in, charges 12.345 kWh and leaves.
      const booking = await t.api(
        'POST',
        '/reservations',
        {
          pointId: chargerPoint,
          plate: PLATE,
          start: new Date(S).toISOString(),
          end: new Date(S + 60 * MIN).toISOString(),
        },
        driverToken,
      );
      expect(booking.status, JSON.stringify(booking.body)).toBe(201);
      const edge = await connectEdge(t.central, EDGE);
      for (const [minute, code, kwh] of [
        [1, 0, 1000],
        [2, 1, 1000],
        [3, 2, 1000.5],
        [33, 2, 1012],
        [34, 3, 1012.345],
        [35, 0, 1012.345],
      ] as const) {
        t.clock.set(S + minute * MIN);
        await edge.send([
          {
            deviceId: 'charger-dr',
            at: new Date(S + minute * MIN).toISOString(),
            values: { status: code, power: code === 2 ? 22_000 : 0, energy_total: kwh },
          },
        ]);
      }
      const sessions = await until(
        () => t.api('GET', '/sessions', undefined, driverToken),
        (r) => r.body.items?.[0]?.state === 'priced',
        "the driver's priced session",
      );
      sessionId = sessions.body.items[0].id;

      // Now someone else's car is plugged in there: the point is occupied.
      t.clock.set(NOW);
      await edge.send([
        {
          deviceId: 'charger-dr',
          at: new Date(NOW).toISOString(),
          values: { status: 1, power: 0, energy_total: 1012.345 },
        },
      ]);
      await edge.close();
      await status.endAsync(true);
      await until(
        () => t.api('GET', `/points/${chargerPoint}/live`),
        (r) => r.body.state === 'preparing',
        'the charger point preparing',
      );
      await report(45);

      browser = await launchChromium();
      context = await browser.newContext({
        locale: 'pt-BR',
        timezoneId: 'America/Bahia',
        viewport: { width: 1200, height: 900 },
      });
      await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
        origin: t.central.http.url,
      });
      page = await newPage(context);
    }, 180_000);

    afterAll(async () => {
      await car?.endAsync(true);
      await browser?.close();
      await t?.close();
    });

    it('the public availability read needs no token, names nothing personal, and refuses bad ids precisely', async () => {
      const res = await fetch(url(`/api/v1/public/companies/${COMPANY}/availability`));
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        company: { id: string; name: string };
        items: Array<{ id: number; pointList: Array<{ id: number; status: string }> }>;
      };
      expect(body.company).toEqual({ id: COMPANY, name: 'Bahia Recarga' });
      expect(body.items.map((s) => s.id)).toEqual(stationIds);
      const text = JSON.stringify(body);
      for (const secret of [PLATE, EDGE, 'charger-dr', 'Bruno', DOC, 'João'])
        expect(text).not.toContain(secret);
      expect(Object.keys(body.items[0]?.pointList[0] ?? {}).sort()).toEqual([
        'connectors',
        'id',
        'name',
        'status',
      ]);
      // Keyset pages in id order: two, then the rest from the cursor.
      const first = (await (
        await fetch(url(`/api/v1/public/companies/${COMPANY}/availability?limit=2`))
      ).json()) as { items: Array<{ id: number }>; next: string | null };
      expect(first.items.map((s) => s.id)).toEqual(stationIds.slice(0, 2));
      const rest = (await (
        await fetch(
          url(`/api/v1/public/companies/${COMPANY}/availability?limit=2&cursor=${first.next}`),
        )
      ).json()) as { items: Array<{ id: number }>; next: string | null };
      expect(rest).toMatchObject({ items: [{ id: stationIds[2] }], next: null });
      const missing = await fetch(url('/api/v1/public/companies/nobody/availability'));
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
        'GL_NOT_FOUND',
      );
      const bad = await fetch(url('/api/v1/public/companies/Not%20An%20Id/availability'));
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('GL_VALIDATION');
    });

    it('a driver page sends a signed-out visitor to the driver sign-in; a wrong password is refused; the right one shows the car with the battery it reported over MQTT', async () => {
      await page.goto(url('/driver/trip'));
      await page.waitForURL(/\/driver\/signin\?next=%2Fdriver%2Ftrip$/);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Entrar como motorista');
      expect(await axeViolations(page)).toEqual([]);
      await keepScreenshot(page, 'driver-signin-pt-BR');
      await page.getByLabel('CPF ou CNPJ').fill(DOC);
      await page.getByLabel('Senha').fill('errada-123');
      await page.getByRole('button', { name: 'Entrar' }).click();
      await expect
        .poll(() => page.getByRole('alert').textContent())
        .toBe('CPF/CNPJ ou senha incorretos.');
      await page.getByLabel('Senha').fill(PASSWORD);
      await page.getByRole('button', { name: 'Entrar' }).click();
      await page.waitForURL(/\/driver\/trip$/);
      const nav = page.getByRole('navigation', { name: 'Navegação principal' });
      expect(await nav.getByRole('link').allTextContents()).toEqual([
        'Meus carros',
        'Planejar viagem',
        'Reservas',
        'Recibos',
        'Disponibilidade',
      ]);
      await nav.getByRole('link', { name: 'Meus carros' }).click();
      await page.waitForURL(/\/driver$/);
      const battery = page.getByTestId(`battery-${PLATE}`);
      await expect.poll(() => battery.locator('strong').textContent()).toBe('45%');
      expect(await battery.getByRole('meter').getAttribute('aria-label')).toBe(
        `Bateria de ${PLATE}: 45%`,
      );
      expect(await battery.textContent()).toContain('não está carregando');
      expect(await page.getByTestId('cars-live').getAttribute('aria-live')).toBe('polite');
      expect(await axeViolations(page)).toEqual([]);
      await keepScreenshot(page, 'driver-cars-pt-BR');
      // The car reports again over MQTT: the page follows without a reload.
      await report(44);
      await expect
        .poll(() => battery.locator('strong').textContent(), { timeout: 15_000 })
        .toBe('44%');
    });

    it('plans Feira de Santana → Salvador from the reported battery: the list and the drawing show the API’s plan; booking makes the stop’s reservation', async () => {
      await page.getByRole('link', { name: 'Planejar uma viagem com este carro' }).click();
      await page.waitForURL(/\/driver\/trip\?plate=RBA4E21$/);
      expect(await page.getByLabel('Carro').inputValue()).toBe(PLATE);
      await page.getByRole('button', { name: 'Planejar' }).click();
      const result = page.getByTestId('trip-result');
      await result.waitFor();
      const tripId = Number(await result.getAttribute('data-trip'));
      const trip = (await t.api('GET', `/trips/${tripId}`, undefined, driverToken)).body;
      expect(trip).toMatchObject({
        plate: PLATE,
        booked: false,
        start: { socPct: 44, source: 'car' },
      });
      expect(trip.stops.length).toBeGreaterThan(0);
      const rows = page.getByTestId('trip-stops').locator('tbody tr');
      expect(await rows.count()).toBe(trip.stops.length);
      for (const [i, stop] of trip.stops.entries()) {
        const row = rows.nth(i);
        expect(await row.getAttribute('data-station')).toBe(String(stop.stationId));
        expect(await row.locator('th').textContent()).toBe(stop.stationName);
        expect(await row.locator('td').nth(2).textContent()).toBe(`${stop.arrivalSocPct}%`);
        expect(await row.locator('td').nth(5).textContent()).toBe(`${stop.departureSocPct}%`);
        expect(await row.locator('td').nth(6).textContent()).toBe('não reservada');
      }
      const map = page.getByTestId('trip-map');
      expect(await map.getAttribute('role')).toBe('img');
      expect(await map.getAttribute('aria-label')).toBe(
        `Mapa da viagem: origem, ${trip.stops.length} parada(s) e destino`,
      );
      expect(await map.locator('g[data-stop]').count()).toBe(trip.stops.length);
      expect(await page.getByTestId('trip-status').textContent()).toMatch(
        new RegExp(`^Viagem planejada: ${trip.stops.length} parada\\(s\\), `),
      );
      expect(await axeViolations(page)).toEqual([]);
      await keepScreenshot(page, 'driver-trip-pt-BR');

      await page.getByRole('button', { name: 'Reservar estas paradas' }).click();
      await expect
        .poll(() => page.getByTestId('trip-status').textContent())
        .toBe('Paradas reservadas. Acompanhe em Reservas.');
      const bookedTrip = Number(await result.getAttribute('data-trip'));
      const booked = (await t.api('GET', `/trips/${bookedTrip}`, undefined, driverToken)).body;
      expect(booked.booked).toBe(true);
      const ids = booked.stops.map((s: { reservationId: number }) => s.reservationId);
      const cells = page.getByTestId('trip-stops').locator('td[data-reservation]');
      expect(
        await cells.evaluateAll((tds) => tds.map((td) => Number(td.dataset.reservation))),
      ).toEqual(ids);
      bookedReservation = ids[0];
      bookedStation = booked.stops[0].stationId;
      const reservation = (
        await t.api('GET', `/reservations/${bookedReservation}`, undefined, driverToken)
      ).body;
      expect(reservation).toMatchObject({ state: 'RESERVED', plate: PLATE, source: 'planner' });
      await keepScreenshot(page, 'driver-trip-booked-pt-BR');
    });

    it('the booking is in the operator console’s reservations', async () => {
      const minted = await t.api('POST', '/tokens', { role: 'operator', label: 'console' });
      expect(minted.status, JSON.stringify(minted.body)).toBe(201);
      const staff = await browser.newContext({
        locale: 'pt-BR',
        timezoneId: 'America/Bahia',
        viewport: { width: 1200, height: 900 },
      });
      try {
        const ops = await newPage(staff);
        await ops.goto(url('/operator/signin?next=%2Foperator%2Fstations'));
        await ops.getByLabel('Token de acesso (operador ou administrador)').fill(minted.body.token);
        await ops.getByRole('button', { name: 'Entrar' }).click();
        await ops.waitForURL(/\/operator\/stations$/);
        await ops.getByLabel('Estação').selectOption(String(bookedStation));
        const rect = ops.locator(
          `[data-testid="op-timeline"] rect[data-reservation="${bookedReservation}"]`,
        );
        await expect.poll(() => rect.count()).toBe(1);
        // Its plate and slot in the station's local time, as the reservations API has them.
        const r = (await t.api('GET', `/reservations/${bookedReservation}`)).body;
        const hm = new Intl.DateTimeFormat('pt-BR', {
          timeZone: 'America/Bahia',
          hour: '2-digit',
          minute: '2-digit',
        });
        expect(await rect.locator('title').textContent()).toMatch(
          new RegExp(`^${PLATE} ${hm.format(new Date(r.start))}–${hm.format(new Date(r.end))} `),
        );
      } finally {
        await staff.close();
      }
    });

    it('reservations: the booked stop is live; canceling it with a reason is announced and stored', async () => {
      await page.getByRole('navigation').getByRole('link', { name: 'Reservas' }).click();
      await page.waitForURL(/\/driver\/reservations$/);
      const row = page.locator(`tr[data-reservation="${bookedReservation}"]`);
      await expect.poll(() => row.getAttribute('data-state')).toBe('RESERVED');
      expect(await row.locator('td').nth(3).textContent()).toBe('Reservada');
      // Every booking of the driver is on the page in the API's state; only live ones can be canceled.
      const all: Array<{ id: number; state: string }> = (
        await t.api('GET', '/reservations', undefined, driverToken)
      ).body.items;
      expect(all).toHaveLength(2);
      for (const r of all)
        await expect
          .poll(() => page.locator(`tr[data-reservation="${r.id}"]`).getAttribute('data-state'))
          .toBe(r.state);
      const liveBefore = all.filter((r) => ['PENDING', 'RESERVED', 'FULFILLED'].includes(r.state));
      await expect
        .poll(() => page.getByTestId('reservations-live').textContent())
        .toBe(`${liveBefore.length} reserva(s) ativa(s)`);
      expect(await axeViolations(page)).toEqual([]);
      await keepScreenshot(page, 'driver-reservations-pt-BR');

      await page
        .getByLabel(`Motivo do cancelamento da reserva nº ${bookedReservation}`)
        .selectOption('TRAFFIC');
      await page.getByRole('button', { name: `Cancelar reserva nº ${bookedReservation}` }).click();
      await expect
        .poll(() => page.getByTestId('reservations-announce').textContent())
        .toBe(`Reserva nº ${bookedReservation} cancelada.`);
      await expect.poll(() => row.getAttribute('data-state')).toBe('CANCELED');
      const stored = (await t.api('GET', `/reservations/${bookedReservation}`)).body;
      expect(stored).toMatchObject({ state: 'CANCELED', canceled: { reason: 'TRAFFIC' } });
      // Canceled inside the terms' cancel_until_minutes: the no-show fee is owed, and shown.
      expect(await row.locator('td').nth(3).textContent()).toBe(
        stored.fee === null
          ? 'Cancelada (TRAFFIC)'
          : `Cancelada (TRAFFIC) Taxa: ${money('pt-BR', Number(stored.fee))}`,
      );
      await expect
        .poll(() => page.getByTestId('reservations-live').textContent())
        .toMatch(new RegExp(`^${liveBefore.length - 1} reserva\\(s\\) ativa\\(s\\)`));
      liveAfter = liveBefore.length - 1;
    });

    it('the receipt shows the API’s lines and total, and a Pix QR that decodes from the page’s pixels to the payload', async () => {
      const receipt = (await t.api('GET', `/sessions/${sessionId}/receipt`, undefined, driverToken))
        .body;
      expect(receipt.totalCentavos).toBeGreaterThan(0);
      expect(receipt.pix.payload).toMatch(/^000201/);
      await page.getByRole('navigation').getByRole('link', { name: 'Recibos' }).click();
      await page.waitForURL(/\/driver\/receipts$/);
      const view = page.getByTestId('receipt');
      await expect.poll(() => view.getAttribute('data-session')).toBe(String(sessionId));
      const money = new Intl.NumberFormat('pt-BR', { style: 'currency', currency: 'BRL' });
      expect(await page.getByTestId('receipt-total').textContent()).toBe(
        money.format(receipt.totalCentavos / 100),
      );
      const lines = page.getByTestId('receipt-lines').locator('tbody tr');
      expect(await lines.count()).toBe(receipt.lines.length);
      for (const [i, line] of receipt.lines.entries())
        expect(await lines.nth(i).locator('td').last().textContent()).toBe(
          money.format(line.amountCentavos / 100),
        );
      expect(await page.getByTestId('receipt-pix-code').inputValue()).toBe(receipt.pix.payload);
      const qr = page.getByTestId('receipt-qr');
      await qr.locator('svg').waitFor();
      expect(await qr.locator('svg').getAttribute('aria-label')).toBe(
        `QR code Pix da recarga nº ${sessionId}`,
      );
      expect(decodeQr(await qr.screenshot())).toBe(receipt.pix.payload);
      await page.getByRole('button', { name: 'Copiar código' }).click();
      await expect
        .poll(() => page.evaluate(() => navigator.clipboard.readText()))
        .toBe(receipt.pix.payload);
      expect(await axeViolations(page)).toEqual([]);
      await keepScreenshot(page, 'driver-receipt-pt-BR');
    });

    it('in English: the cars, trip and reservations pages', async () => {
      await page.getByLabel('Idioma').selectOption('en');
      await page.getByRole('navigation').getByRole('link', { name: 'My cars' }).click();
      await page.waitForURL(/\/driver$/);
      expect(await page.locator('h1').textContent()).toBe('My cars');
      expect(await page.getByTestId(`battery-${PLATE}`).textContent()).toContain('not charging');
      await page.getByRole('navigation').getByRole('link', { name: 'Reservations' }).click();
      await expect
        .poll(() => page.getByTestId('reservations-live').textContent())
        .toBe(`${liveAfter} active reservation(s)`);
      expect(
        await page.locator(`tr[data-reservation="${bookedReservation}"] td`).nth(3).textContent(),
      ).toMatch(/^Canceled \(TRAFFIC\)/);
      expect(await axeViolations(page)).toEqual([]);
      await keepScreenshot(page, 'driver-reservations-en');
      await page.getByRole('navigation').getByRole('link', { name: 'Plan a trip' }).click();
      await page.getByRole('button', { name: 'Plan' }).click();
      await expect
        .poll(() => page.getByTestId('trip-status').textContent())
        .toMatch(/^Trip planned: \d+ stop\(s\), /);
      expect(await page.getByTestId('trip-stops').locator('caption').textContent()).toBe(
        'Charging stops',
      );
      expect(await axeViolations(page)).toEqual([]);
      await keepScreenshot(page, 'driver-trip-en');
      await page.getByLabel('Language').selectOption('pt-BR');
    });

    it('the public availability page needs no sign-in and shows each point’s status as the API does', async () => {
      const visitor = await browser.newContext({
        locale: 'pt-BR',
        timezoneId: 'America/Bahia',
        viewport: { width: 1200, height: 900 },
      });
      try {
        const p = await newPage(visitor);
        // From the driver sign-in page's link, the company typed in.
        await p.goto(url('/driver/signin'));
        await p
          .getByRole('link', { name: 'Ver a disponibilidade das estações (sem entrar)' })
          .click();
        await p.waitForURL(/\/public\/availability$/);
        expect(await p.locator('h1').textContent()).toBe('Disponibilidade das estações');
        await p.getByLabel('Empresa (código)').fill(COMPANY);
        await p.getByRole('button', { name: 'Mostrar' }).click();
        await p.waitForURL(new RegExp(`/public/availability\\?company=${COMPANY}$`));
        await expect.poll(() => p.locator('h1').textContent()).toBe('Estações de Bahia Recarga');
        expect(await p.evaluate(() => sessionStorage.getItem('gridlink.session'))).toBeNull();
        const api = (await (
          await fetch(url(`/api/v1/public/companies/${COMPANY}/availability`))
        ).json()) as {
          items: Array<{
            points: number;
            availablePoints: number;
            pointList: Array<{ id: number; status: string }>;
          }>;
        };
        const points = api.items.flatMap((s) => s.pointList);
        for (const point of points)
          expect(await p.locator(`tr[data-point="${point.id}"]`).getAttribute('data-status')).toBe(
            point.status,
          );
        expect(await p.locator(`tr[data-point="${chargerPoint}"] td`).first().textContent()).toBe(
          'Ocupado',
        );
        expect(await p.locator(`tr[data-point="${maintained}"] td`).first().textContent()).toBe(
          'Fora de serviço',
        );
        expect(await p.locator('main').textContent()).not.toContain('João');
        const free = api.items.reduce((n, s) => n + s.availablePoints, 0);
        expect(await p.getByTestId('pub-summary').textContent()).toMatch(
          new RegExp(
            `^${free} de ${points.length} ponto\\(s\\) livre\\(s\\) em 3 estação\\(ões\\)`,
          ),
        );
        expect(await p.getByTestId('pub-summary').getAttribute('aria-live')).toBe('polite');
        expect(await axeViolations(p)).toEqual([]);
        await keepScreenshot(p, 'public-availability-pt-BR');

        // A company that does not exist: said so, in the alert region.
        await p.getByLabel('Empresa (código)').fill('nobody');
        await p.getByRole('button', { name: 'Mostrar' }).click();
        await expect.poll(() => p.getByRole('alert').textContent()).toBe('Empresa não encontrada.');
        await p.getByLabel('Idioma').selectOption('en');
        await p.getByLabel('Company (code)').fill(COMPANY);
        await p.getByRole('button', { name: 'Show' }).click();
        await expect.poll(() => p.locator('h1').textContent()).toBe('Stations of Bahia Recarga');
        expect(await p.locator(`tr[data-point="${chargerPoint}"] td`).first().textContent()).toBe(
          'Occupied',
        );
        expect(await p.locator(`tr[data-point="${maintained}"] td`).first().textContent()).toBe(
          'Out of service',
        );
        expect(await axeViolations(p)).toEqual([]);
        await keepScreenshot(p, 'public-availability-en');
      } finally {
        await visitor.close();
      }
    });

    it('no page reported a Content Security Policy violation', () => {
      expect(cspErrors).toEqual([]);
    });
  },
);
