import { GridlinkError, getProfile, isGridlinkError } from '@gridlink/shared';
import { parse as parseYaml } from 'yaml';
import { carModels, getCarModel } from '../cars/index.js';
import { type FaultSpec, parseFaultSpec } from '../faults/index.js';
import { MAX_UNIT_ID } from './options.js';

/** A fleet to start: what a scenario file holds, after validation and defaults. */
export interface Scenario {
  /** Seeds every device; same seed, same fleet. */
  seed: number;
  /** How often models advance and push devices send what is due, ms. */
  tickMs: number;
  /** The control API; null = none. */
  control: { host: string; port: number } | null;
  modbusTcp: {
    host: string;
    /** First port; port i is port + i. 0 = any free ports. */
    port: number;
    fallback: boolean;
    meters: number;
    /** Unit ids 1..metersPerPort on each port (≤ 247). */
    metersPerPort: number;
    profile: string;
  } | null;
  modbusRtu: Array<{
    /** A serial path to open, or a pty pair the simulator creates (and removes on stop). */
    path: string | null;
    pty: { devicePath: string; clientPath: string } | null;
    baudRate: number;
    meters: number;
    replyDelayMs: number;
    profile: string;
  }>;
  udpMeters: {
    count: number;
    target: { host: string; port: number };
    intervalMs: number;
    rateKW: number;
    /**
     * How often due readings are sent, ms. Meter n of N sends at n/N of its interval, so a
     * fleet's datagrams are spread evenly over the interval instead of leaving in one burst.
     */
    paceMs: number;
    /** Datagram form: `csv` (default) or the seed's JSON field names (`seed-json`). */
    format: 'csv' | 'seed-json';
    /** Timestamp form: `wall` (local time, default), `epoch`, `epoch-float` (time.time()), `epoch-ms`. */
    timestamp: 'wall' | 'epoch' | 'epoch-float' | 'epoch-ms';
  } | null;
  tcpJsonMeters: {
    count: number;
    target: { host: string; port: number };
    intervalMs: number;
    rateKW: number;
    /**
     * The id meter n says hello with (`ids[n-1]`), for meters bound to configured ids; absent:
     * every meter asks `{"id":0}`, as the originals did.
     */
    ids: number[] | null;
    /** A newline after each object (default true); false: bare objects. */
    newline: boolean;
  } | null;
  /** GridLink AC chargers (profile gridlink-charger) over Modbus TCP, device ids charger-1..N. */
  chargers: {
    host: string;
    /** First port; port i is port + i. 0 = any free ports. */
    port: number;
    fallback: boolean;
    count: number;
    /** Unit ids 1..perPort on each port (≤ 247). */
    perPort: number;
    profile: string;
    /** Current limit at start, A (6-32). */
    currentLimitA: number;
    /** Offered power = phases × voltageV × current limit. */
    phases: 1 | 3;
    voltageV: number;
    /** How long a stopped session stays finishing before the driver unplugs, ms. */
    finishingMs: number;
  } | null;
  /**
   * KEBA KeContact P30 stations, device ids keba-1..N, each on a port of its own: over their UDP
   * protocol, or over Modbus TCP (profile keba-p30, unit id 255).
   */
  kebaChargers: {
    transport: 'udp' | 'modbus-tcp';
    host: string;
    /** Port of keba-1; keba-n listens on port + n - 1. 0 = any free ports. */
    port: number;
    count: number;
    phases: 1 | 3;
    voltageV: number;
    /** What the hardware allows (DIP switches, cable), A. */
    currentHwA: number;
    /** A vehicle that takes the whole offer is plugged into each at start. */
    vehicle: boolean;
  } | null;
  /** Cars as MQTT clients (SEEDS.md A), device ids car-1..N, seeded Mercosul plates. */
  cars: {
    count: number;
    broker: { host: string; port: number };
    /** Password of each car; `{plate}` is replaced by the car's plate (the MQTT username). */
    password: string;
    intervalMs: number;
    /** Seed model names; car n is models[(n - 1) % models.length]. */
    models: string[];
    /** State of charge at start, %; null = seeded in 20..90. */
    batteryPct: number | null;
  } | null;
  /**
   * Seed C's journey users over TCP (SEEDS.md C): each runs START -> LOGIN -> NAVIGATION ->
   * SELECTION_STATION -> PAYMENT against `target` at start (and again every `repeatMs`).
   */
  journeyClients: {
    count: number;
    target: { host: string; port: number };
    repeatMs: number;
    stationsPerJourney: number;
    timeoutMs: number;
    /** Station ids journeys never list (the demo keeps its chargers' station free). */
    avoidStations: number[];
  } | null;
  /** Cars plugged in at start: car id → charger id. */
  plugs: Record<string, string>;
  /** Cars driving at start: car id → speed, km/h. */
  driving: Record<string, number>;
  /** Faults set at start, by device id. */
  faults: Record<string, FaultSpec>;
}

type Obj = Record<string, unknown>;

function invalid(path: string, reason: string): never {
  throw new GridlinkError('GL_CONFIG_INVALID', `${path}: ${reason}`, { key: path });
}

function obj(value: unknown, path: string, keys: readonly string[]): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(path, `must be a mapping, got ${JSON.stringify(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key))
      invalid(`${path}.${key}`, `unknown key (expected one of ${keys.join(', ')})`);
  }
  return value as Obj;
}

function int(
  o: Obj,
  key: string,
  path: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    invalid(`${path}.${key}`, `must be an integer ${min}..${max}, got ${JSON.stringify(o[key])}`);
  }
  return v;
}

function posNum(o: Obj, key: string, path: string, fallback: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    invalid(`${path}.${key}`, `must be a number ≥ 0, got ${JSON.stringify(o[key])}`);
  }
  return v;
}

function str(o: Obj, key: string, path: string, fallback?: string): string {
  const v = o[key] ?? fallback;
  if (typeof v !== 'string' || v.trim() === '')
    invalid(`${path}.${key}`, 'must be a non-empty string');
  return v;
}

function bool(o: Obj, key: string, path: string, fallback: boolean): boolean {
  const v = o[key] ?? fallback;
  if (typeof v !== 'boolean') invalid(`${path}.${key}`, 'must be true or false');
  return v;
}

function oneOf<T extends string>(
  o: Obj,
  key: string,
  path: string,
  values: readonly T[],
  fallback: T,
): T {
  const v = o[key] ?? fallback;
  if (!values.includes(v as T)) invalid(`${path}.${key}`, `must be one of ${values.join(', ')}`);
  return v as T;
}

function meterProfile(o: Obj, path: string, kind: 'meter' | 'charger' = 'meter'): string {
  const id = str(o, 'profile', path, kind === 'meter' ? 'eastron-sdm630' : 'gridlink-charger');
  try {
    const profile = getProfile(id);
    if (profile.kind !== kind)
      invalid(`${path}.profile`, `${id} is a ${profile.kind}, not a ${kind}`);
  } catch (err) {
    if (isGridlinkError(err, 'GL_PROFILE_UNKNOWN')) invalid(`${path}.profile`, err.message);
    throw err;
  }
  return id;
}

function target(o: Obj, path: string) {
  const t = obj(o.target, `${path}.target`, ['host', 'port']);
  return {
    host: str(t, 'host', `${path}.target`, '127.0.0.1'),
    port: int(t, 'port', `${path}.target`, 1, 65535),
  };
}

const MAX_DEVICES = 100_000;

/** Validates a scenario object (from YAML or built in code); errors name the key path. */
export function parseScenario(input: unknown): Scenario {
  const root = obj(input ?? {}, 'scenario', [
    'seed',
    'tickMs',
    'control',
    'modbusTcp',
    'modbusRtu',
    'udpMeters',
    'tcpJsonMeters',
    'chargers',
    'kebaChargers',
    'cars',
    'journeyClients',
    'plugs',
    'driving',
    'faults',
  ]);
  const scenario: Scenario = {
    seed: int(root, 'seed', 'scenario', 0, 0xffffffff, 1),
    tickMs: int(root, 'tickMs', 'scenario', 1, 3_600_000, 1000),
    control: null,
    modbusTcp: null,
    modbusRtu: [],
    udpMeters: null,
    tcpJsonMeters: null,
    chargers: null,
    kebaChargers: null,
    cars: null,
    journeyClients: null,
    plugs: {},
    driving: {},
    faults: {},
  };
  if (root.control !== undefined && root.control !== false) {
    const c = obj(root.control, 'control', ['host', 'port']);
    scenario.control = {
      host: str(c, 'host', 'control', '127.0.0.1'),
      port: int(c, 'port', 'control', 0, 65535, 0),
    };
  }
  if (root.modbusTcp !== undefined) {
    const p = 'modbusTcp';
    const m = obj(root.modbusTcp, p, [
      'host',
      'port',
      'fallback',
      'meters',
      'metersPerPort',
      'profile',
    ]);
    const metersPerPort = int(m, 'metersPerPort', p, 1, MAX_UNIT_ID, MAX_UNIT_ID);
    const meters = int(m, 'meters', p, 1, MAX_DEVICES);
    const port = int(m, 'port', p, 0, 65535, 0);
    const ports = Math.ceil(meters / metersPerPort);
    if (port > 0 && port + ports - 1 > 65535)
      invalid(`${p}.port`, `${ports} ports from ${port} pass 65535`);
    scenario.modbusTcp = {
      host: str(m, 'host', p, '127.0.0.1'),
      port,
      fallback: bool(m, 'fallback', p, false),
      meters,
      metersPerPort,
      profile: meterProfile(m, p),
    };
  }
  if (root.modbusRtu !== undefined) {
    if (!Array.isArray(root.modbusRtu)) invalid('modbusRtu', 'must be a list of lines');
    scenario.modbusRtu = root.modbusRtu.map((line: unknown, i: number) => {
      const p = `modbusRtu[${i}]`;
      const l = obj(line, p, ['path', 'pty', 'baudRate', 'meters', 'replyDelayMs', 'profile']);
      if ((l.path === undefined) === (l.pty === undefined))
        invalid(p, 'give exactly one of path, pty');
      let pty: { devicePath: string; clientPath: string } | null = null;
      if (l.pty !== undefined) {
        const q = obj(l.pty, `${p}.pty`, ['devicePath', 'clientPath']);
        pty = {
          devicePath: str(q, 'devicePath', `${p}.pty`),
          clientPath: str(q, 'clientPath', `${p}.pty`),
        };
      }
      return {
        path: l.path === undefined ? null : str(l, 'path', p),
        pty,
        baudRate: int(l, 'baudRate', p, 300, 4_000_000, 9600),
        meters: int(l, 'meters', p, 1, MAX_UNIT_ID),
        replyDelayMs: posNum(l, 'replyDelayMs', p, 0),
        profile: meterProfile(l, p),
      };
    });
  }
  if (root.udpMeters !== undefined) {
    const key = 'udpMeters';
    const m = obj(root[key], key, [
      'count',
      'target',
      'intervalMs',
      'rateKW',
      'paceMs',
      'format',
      'timestamp',
    ]);
    scenario[key] = {
      count: int(m, 'count', key, 1, MAX_DEVICES),
      target: target(m, key),
      intervalMs: int(m, 'intervalMs', key, 1, 86_400_000, 1000),
      rateKW: posNum(m, 'rateKW', key, 0.5),
      paceMs: int(m, 'paceMs', key, 1, 60_000, 10),
      format: oneOf(m, 'format', key, ['csv', 'seed-json'] as const, 'csv'),
      timestamp: oneOf(
        m,
        'timestamp',
        key,
        ['wall', 'epoch', 'epoch-float', 'epoch-ms'] as const,
        'wall',
      ),
    };
  }
  if (root.tcpJsonMeters !== undefined) {
    const key = 'tcpJsonMeters';
    const m = obj(root[key], key, ['count', 'target', 'intervalMs', 'rateKW', 'ids', 'newline']);
    const count = int(m, 'count', key, 1, MAX_DEVICES);
    let ids: number[] | null = null;
    if (m.ids !== undefined) {
      if (!Array.isArray(m.ids) || m.ids.length !== count)
        invalid(`${key}.ids`, `must be a list of ${count} meter ids (one per meter)`);
      ids = (m.ids as unknown[]).map((_, i) =>
        int(m.ids as unknown as Obj, String(i), `${key}.ids`, 1, 2 ** 31 - 1),
      );
    }
    scenario[key] = {
      count,
      target: target(m, key),
      intervalMs: int(m, 'intervalMs', key, 1, 86_400_000, 1000),
      rateKW: posNum(m, 'rateKW', key, 0.5),
      ids,
      newline: bool(m, 'newline', key, true),
    };
  }
  if (root.chargers !== undefined) scenario.chargers = parseChargers(root.chargers);
  if (root.kebaChargers !== undefined) scenario.kebaChargers = parseKebaChargers(root.kebaChargers);
  if (root.cars !== undefined) scenario.cars = parseCars(root.cars);
  if (root.journeyClients !== undefined) {
    const p = 'journeyClients';
    const j = obj(root.journeyClients, p, [
      'count',
      'target',
      'repeatMs',
      'stationsPerJourney',
      'timeoutMs',
      'avoidStations',
    ]);
    const avoid = j.avoidStations ?? [];
    if (!Array.isArray(avoid) || avoid.some((v) => !Number.isSafeInteger(v) || v < 1))
      invalid(`${p}.avoidStations`, 'must be a list of station ids');
    scenario.journeyClients = {
      count: int(j, 'count', p, 1, MAX_DEVICES),
      target: target(j, p),
      repeatMs: int(j, 'repeatMs', p, 0, 86_400_000, 0),
      stationsPerJourney: int(j, 'stationsPerJourney', p, 1, 1_000, 5),
      timeoutMs: int(j, 'timeoutMs', p, 1, 600_000, 10_000),
      avoidStations: avoid as number[],
    };
  }
  for (const key of ['plugs', 'driving'] as const) {
    if (root[key] === undefined) continue;
    const f = obj(root[key], key, Object.keys(root[key] as Obj));
    for (const id of Object.keys(f)) {
      if (key === 'plugs') scenario.plugs[id] = str(f, id, key);
      else scenario.driving[id] = posNum(f, id, key, 0);
    }
  }
  if (root.faults !== undefined) {
    const f = obj(root.faults, 'faults', Object.keys(root.faults as Obj));
    for (const [id, spec] of Object.entries(f))
      scenario.faults[id] = parseFaultSpec(spec, `faults.${id}`);
  }
  return scenario;
}

function parseChargers(input: unknown): NonNullable<Scenario['chargers']> {
  const p = 'chargers';
  const c = obj(input, p, [
    'host',
    'port',
    'fallback',
    'count',
    'perPort',
    'profile',
    'currentLimitA',
    'phases',
    'voltageV',
    'finishingMs',
  ]);
  const perPort = int(c, 'perPort', p, 1, MAX_UNIT_ID, MAX_UNIT_ID);
  const count = int(c, 'count', p, 1, MAX_DEVICES);
  const port = int(c, 'port', p, 0, 65535, 0);
  const ports = Math.ceil(count / perPort);
  if (port > 0 && port + ports - 1 > 65535)
    invalid(`${p}.port`, `${ports} ports from ${port} pass 65535`);
  const currentLimitA = c.currentLimitA ?? 32;
  if (typeof currentLimitA !== 'number' || !(currentLimitA >= 6 && currentLimitA <= 32)) {
    invalid(
      `${p}.currentLimitA`,
      `must be a number 6..32 (A), got ${JSON.stringify(c.currentLimitA)}`,
    );
  }
  const phases = c.phases ?? 1;
  if (phases !== 1 && phases !== 3)
    invalid(`${p}.phases`, `must be 1 or 3, got ${JSON.stringify(phases)}`);
  return {
    host: str(c, 'host', p, '127.0.0.1'),
    port,
    fallback: bool(c, 'fallback', p, false),
    count,
    perPort,
    profile: meterProfile(c, p, 'charger'),
    currentLimitA,
    phases,
    voltageV: int(c, 'voltageV', p, 100, 400, 220),
    finishingMs: int(c, 'finishingMs', p, 0, 86_400_000, 30_000),
  };
}

function parseKebaChargers(input: unknown): NonNullable<Scenario['kebaChargers']> {
  const p = 'kebaChargers';
  const c = obj(input, p, [
    'transport',
    'host',
    'port',
    'count',
    'phases',
    'voltageV',
    'currentHwA',
    'vehicle',
  ]);
  const transport = c.transport ?? 'udp';
  if (transport !== 'udp' && transport !== 'modbus-tcp')
    invalid(`${p}.transport`, `must be udp or modbus-tcp, got ${JSON.stringify(c.transport)}`);
  const count = int(c, 'count', p, 1, 10_000);
  const port = int(c, 'port', p, 0, 65535, 0);
  if (port > 0 && port + count - 1 > 65535)
    invalid(`${p}.port`, `${count} ports from ${port} pass 65535`);
  const phases = c.phases ?? 3;
  if (phases !== 1 && phases !== 3)
    invalid(`${p}.phases`, `must be 1 or 3, got ${JSON.stringify(phases)}`);
  return {
    transport,
    host: str(c, 'host', p, '127.0.0.1'),
    port,
    count,
    phases,
    voltageV: int(c, 'voltageV', p, 100, 400, 230),
    currentHwA: int(c, 'currentHwA', p, 6, 63, 32),
    vehicle: bool(c, 'vehicle', p, false),
  };
}

function parseCars(input: unknown): NonNullable<Scenario['cars']> {
  const p = 'cars';
  const c = obj(input, p, ['count', 'broker', 'password', 'intervalMs', 'models', 'batteryPct']);
  const b = obj(c.broker, `${p}.broker`, ['host', 'port']);
  let models = [...carModels().keys()];
  if (c.models !== undefined) {
    if (!Array.isArray(c.models) || c.models.length === 0)
      invalid(`${p}.models`, 'must be a non-empty list of model names');
    models = c.models.map((name: unknown, i: number) => {
      if (typeof name !== 'string') invalid(`${p}.models[${i}]`, 'must be a model name');
      return getCarModel(name, `${p}.models[${i}]`).name;
    });
  }
  let batteryPct: number | null = null;
  if (c.batteryPct !== undefined) {
    const v = c.batteryPct;
    if (typeof v !== 'number' || !(v >= 0 && v <= 100))
      invalid(`${p}.batteryPct`, `must be a number 0..100, got ${JSON.stringify(v)}`);
    batteryPct = v;
  }
  return {
    count: int(c, 'count', p, 1, MAX_DEVICES),
    broker: {
      host: str(b, 'host', `${p}.broker`, '127.0.0.1'),
      port: int(b, 'port', `${p}.broker`, 1, 65535),
    },
    password: str(c, 'password', p),
    intervalMs: int(c, 'intervalMs', p, 1, 86_400_000, 5000),
    models,
    batteryPct,
  };
}

/** Parses scenario YAML text; a YAML syntax error is GL_CONFIG_INVALID with its line. */
export function parseScenarioYaml(text: string, source = 'scenario'): Scenario {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new GridlinkError('GL_CONFIG_INVALID', `${source}: ${(err as Error).message}`);
  }
  return parseScenario(data);
}
