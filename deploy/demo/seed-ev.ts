/**
 * The demo's EV half (issue #17, "Done when"): simulated GridLink chargers and cars, wired through
 * the API the way an operator would — each charger the edge reports is bound to a point of a
 * Feira station, a demo driver gets a password, the simulator's cars are registered to that
 * driver, and each car's MQTT credential is issued by the central and handed to the simulator's
 * car over its control API. Idempotent on restart: what exists is found, not created again; the
 * car credentials are rotated (a secret is shown only once, and none is written to disk).
 */
import { demoApi } from './seed-meters.js';

export const DEMO_CHARGERS = 2;
export const DEMO_CARS = 2;
/** The demo driver: a valid CPF (check digits) and a password anyone may read (it is a demo). */
export const DEMO_DRIVER = {
  document: '529.982.247-25',
  name: 'Motorista Demo',
  email: 'motorista@demo.gridlink',
  password: 'demo-driver-1',
} as const;
/** The station the chargers are bound to: the Feira file's row 1 (EcoCharge Centro, 3 points). */
const DEMO_STATION_EXTERNAL_ID = '1';
/** The password the simulator's cars start with: refused until the central's credential arrives. */
export const UNISSUED_CAR_PASSWORD = 'not-issued-yet';
/** The receiver on the demo's Pix codes (a random-key Pix key of nobody). */
export const DEMO_PIX = {
  key: '123e4567-e89b-12d3-a456-426614174000',
  merchantName: 'GridLink Recarga Demo',
  merchantCity: 'Feira Santana',
};

/** The simulator's scenario keys for the demo's chargers and cars. */
export function evScenario(o: { mqttUrl: string; controlPort?: number }) {
  const broker = new URL(o.mqttUrl);
  return {
    control: { host: '127.0.0.1', port: o.controlPort ?? 0 },
    chargers: { host: '127.0.0.1', port: 0, count: DEMO_CHARGERS },
    cars: {
      count: DEMO_CARS,
      broker: { host: broker.hostname, port: Number(broker.port) },
      password: UNISSUED_CAR_PASSWORD,
      intervalMs: 5000,
      batteryPct: 35,
    },
  };
}

/** The edge's device entries for the simulator's chargers (`fleet.chargers` of its ready message). */
export function chargerDevices(
  ports: ReadonlyArray<{ host: string; port: number; chargers: number }>,
  intervalMs: number,
) {
  const out: Array<Record<string, unknown>> = [];
  let n = 0;
  for (const at of ports) {
    for (let unitId = 1; unitId <= at.chargers; unitId++) {
      n++;
      out.push({
        id: `charger-${n}`,
        profile: 'gridlink-charger',
        driver: 'modbus-tcp',
        host: at.host,
        port: at.port,
        unitId,
        intervalMs,
      });
    }
  }
  return out;
}

export interface DemoEv {
  driverId: number;
  /** charger device id → point id */
  bindings: Array<{ deviceId: string; pointId: number; pointName: string }>;
  cars: Array<{ deviceId: string; plate: string }>;
  stationId: number;
  stationName: string;
  /** An operator subscriber's MQTT credential, to watch the topics with mosquitto_sub. */
  watcher: { username: string; secret: string };
}

/** The operator subscriber the demo prints for mosquitto_sub (rotated at every start). */
export const DEMO_WATCHER = 'demo-watch';

type Control = (method: string, path: string, body?: unknown) => Promise<unknown>;

function controlApi(url: string): Control {
  return async (method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok)
      throw new Error(`simulator ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Binds the chargers, creates the driver, registers and credentials the cars. `deadlineMs`
 * bounds the wait for the edge to report the chargers (binding needs the device row).
 */
export async function setUpDemoEv(o: {
  httpUrl: string;
  token: string;
  edgeId: string;
  company: string;
  controlUrl: string;
  deadlineMs?: number;
}): Promise<DemoEv> {
  const api = demoApi(o.httpUrl, o.token);
  const sim = controlApi(o.controlUrl);
  const must = async (method: string, path: string, body: unknown, ok: number[]) => {
    const r = await api(method, path, body);
    if (!ok.includes(r.status))
      throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r;
  };

  // The station and its points.
  const stations = await must('GET', `/stations?company=${o.company}&limit=500`, undefined, [200]);
  const station = (
    stations.body.items as Array<{ id: number; externalId: string; name: string }>
  ).find((s) => s.externalId === DEMO_STATION_EXTERNAL_ID);
  if (!station) throw new Error(`station ${DEMO_STATION_EXTERNAL_ID} of ${o.company} is missing`);
  const detail = await must('GET', `/stations/${station.id}`, undefined, [200]);
  const points = (detail.body.pointList as Array<{ id: number; name: string }>)
    .slice()
    .sort((a, b) => a.id - b.id);

  // Each charger to a point, once the edge has reported it (a devices row of kind charger).
  const bindings: DemoEv['bindings'] = [];
  const deadline = Date.now() + (o.deadlineMs ?? 60_000);
  for (let n = 1; n <= DEMO_CHARGERS; n++) {
    const deviceId = `charger-${n}`;
    const point = points[n - 1];
    if (!point) throw new Error(`station ${station.name} has fewer than ${DEMO_CHARGERS} points`);
    for (;;) {
      const live = await must('GET', `/points/${point.id}/live`, undefined, [200]);
      if (live.body.charger?.deviceId === deviceId) break;
      const r = await api('PUT', `/points/${point.id}/binding`, { edgeId: o.edgeId, deviceId });
      if (r.status === 200) break;
      if (r.status !== 404 || Date.now() > deadline)
        throw new Error(`binding ${deviceId}: ${r.status} ${JSON.stringify(r.body)}`);
      await wait(500); // not reported by the edge yet
    }
    bindings.push({ deviceId, pointId: point.id, pointName: point.name });
  }

  // The driver (409 on restart: it exists), its id from its own sign-in.
  await must('POST', '/drivers', DEMO_DRIVER, [201, 409]);
  const login = await fetch(`${o.httpUrl}/api/v1/auth/driver-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ document: DEMO_DRIVER.document, password: DEMO_DRIVER.password }),
  });
  if (!login.ok) throw new Error(`demo driver sign-in: ${login.status} ${await login.text()}`);
  const { driverId } = (await login.json()) as { driverId: number };

  // The simulator's cars: registered to the driver, each with its credential from the central.
  const { devices } = (await sim('GET', '/devices')) as {
    devices: Array<{ deviceId: string; kind: string }>;
  };
  const cars: DemoEv['cars'] = [];
  for (const d of devices.filter((x) => x.kind === 'car')) {
    const { plate } = (await sim('GET', `/devices/${d.deviceId}/truth`)) as { plate: string };
    const made = await must('POST', '/cars', { plate, driverId }, [201, 409]);
    if (made.status === 409) {
      const car = await must('GET', `/cars/${plate}`, undefined, [200]);
      if (car.body.driverId !== driverId)
        await must('PATCH', `/cars/${plate}`, { driverId }, [200]);
    }
    const cred = await must('POST', `/cars/${plate}/mqtt-credential`, undefined, [201]);
    await sim('PUT', `/devices/${d.deviceId}/credential`, { password: cred.body.secret });
    cars.push({ deviceId: d.deviceId, plate });
  }
  // An operator subscriber for mosquitto_sub (availability and reservation topics).
  const watch = await must(
    'PUT',
    `/mqtt/credentials/operator/${DEMO_WATCHER}`,
    undefined,
    [200, 201],
  );
  const watcher = { username: watch.body.username as string, secret: watch.body.secret as string };
  return { driverId, bindings, cars, stationId: station.id, stationName: station.name, watcher };
}
