import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { GridlinkError, isGridlinkError, listen } from '@gridlink/shared';
import { type Logger, pino } from 'pino';
import { CarDevice } from '../cars/index.js';
import { ChargerDevice, KebaCharger } from '../chargers/index.js';
import { parseRateChange, type SimDevice } from '../devices/index.js';
import { parseFaultSpec } from '../faults/index.js';

export interface DeviceDirectory {
  list(): Iterable<SimDevice>;
  get(deviceId: string): SimDevice | undefined;
}

export interface ControlServerOptions {
  devices: DeviceDirectory;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1: the control API can break devices, keep it local. */
  host?: string;
  logger?: Logger;
}

export interface ControlServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export const CONTROL_API_HELP = `Control API (JSON over HTTP, 127.0.0.1 unless --control-host):
  GET    /devices                  every device: id, kind, endpoint, active fault
  GET    /devices/{id}/truth       what the device measured and served/sent
  GET    /truth                    the same for every device, one JSON object per line
  PUT    /devices/{id}/fault       body {mode, ...params}; modes: no-reply, late-reply {delayMs},
                                   bad-crc, wrong-unit {unitId?}, exception {code 1-11},
                                   short-frame {dropBytes?}, garbage-reply (KEBA UDP),
                                   counter-reset {toKWh?},
                                   tamper {backKWh?}, link-flap {downMs, upMs}, clock-skew {offsetMs},
                                   connector-fault {faultCode?} (chargers: status 5 faulted)
  DELETE /devices/{id}/fault       back to normal
  PUT    /devices/{id}/rate        body {set: kW} | {raise: factor} | {lower: factor}
  PUT    /devices/{car}/plug       body {chargerId}: plug a parked car into a charger
  DELETE /devices/{car}/plug       take the car off its charger
  PUT    /devices/{car}/driving    body {speedKmh}: drive (battery drains), 0 parks
  PUT    /devices/{car}/credential body {password}: the car's MQTT password from now on
  PUT    /devices/{charger}/availability  body {available: boolean}: unavailable (6) or back
  PUT    /devices/{keba}/vehicle   body {plugged: boolean}: a vehicle that takes the whole
                                   offer is plugged into a KEBA station, or taken away
  Errors: {"error":{"code","message","details"}} with the code's HTTP status.`;

const MAX_BODY = 64 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new GridlinkError('GL_PAYLOAD_TOO_LARGE', `body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new GridlinkError('GL_PAYLOAD_INVALID_JSON', 'body is not valid JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** The simulator's control API: list devices, switch faults, change rates, read ground truth. */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'control' });
  const { devices } = options;

  const device = (id: string): SimDevice => {
    const d = devices.get(id);
    if (!d) throw new GridlinkError('GL_NOT_FOUND', `no device ${id}`, { deviceId: id });
    return d;
  };

  const car = (id: string): CarDevice => {
    const d = device(id);
    if (!(d instanceof CarDevice))
      throw new GridlinkError('GL_VALIDATION', `${id} is a ${d.kind}, not a car`);
    return d;
  };
  const charger = (id: string, key = 'deviceId'): ChargerDevice | KebaCharger => {
    const d = device(id);
    if (!(d instanceof ChargerDevice || d instanceof KebaCharger)) {
      throw new GridlinkError('GL_VALIDATION', `${key}: ${id} is a ${d.kind}, not a charger`, {
        key,
      });
    }
    return d;
  };
  const body = async (req: IncomingMessage, key: string, type: 'string' | 'number' | 'boolean') => {
    const b = await readJson(req);
    const value =
      typeof b === 'object' && b !== null ? (b as Record<string, unknown>)[key] : undefined;
    if (typeof value !== type || (type === 'string' && value === '')) {
      throw new GridlinkError('GL_VALIDATION', `${key}: must be a ${type}`, { key });
    }
    return value as never;
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://control');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (method === 'GET' && parts.length === 1 && parts[0] === 'devices') {
      return send(res, 200, { devices: Array.from(devices.list(), (d) => d.info()) });
    }
    if (method === 'GET' && parts.length === 1 && parts[0] === 'truth') {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (const d of devices.list()) res.write(`${JSON.stringify(d.truth())}\n`);
      res.end();
      return;
    }
    if (parts.length === 3 && parts[0] === 'devices') {
      const [, id, what] = parts as [string, string, string];
      if (method === 'GET' && what === 'truth') return send(res, 200, device(id).truth());
      if (what === 'fault' && method === 'PUT') {
        const d = device(id);
        const spec = parseFaultSpec(await readJson(req));
        d.setFault(spec);
        log.info({ deviceId: id, fault: spec.mode }, 'fault set');
        return send(res, 200, { deviceId: id, fault: spec });
      }
      if (what === 'fault' && method === 'DELETE') {
        device(id).clearFault();
        log.info({ deviceId: id }, 'fault cleared');
        return send(res, 200, { deviceId: id, fault: null });
      }
      if (what === 'rate' && method === 'PUT') {
        const d = device(id);
        if (!d.setRate) {
          throw new GridlinkError('GL_VALIDATION', `a ${d.kind} has no settable rate`);
        }
        const rateKW = d.setRate(parseRateChange(await readJson(req)));
        return send(res, 200, { deviceId: id, rateKW });
      }
      if (what === 'plug' && method === 'PUT') {
        const c = car(id);
        const target = charger(await body(req, 'chargerId', 'string'), 'chargerId');
        c.plugInto(target);
        log.info({ deviceId: id, chargerId: target.deviceId }, 'car plugged in');
        return send(res, 200, { deviceId: id, chargerId: target.deviceId, status: target.status });
      }
      if (what === 'plug' && method === 'DELETE') {
        const c = car(id);
        const from = c.charger;
        c.unplug();
        log.info({ deviceId: id, chargerId: from }, 'car unplugged');
        return send(res, 200, { deviceId: id, chargerId: null });
      }
      if (what === 'credential' && method === 'PUT') {
        const c = car(id);
        c.setPassword(await body(req, 'password', 'string'));
        // Never the password itself.
        log.info({ deviceId: id }, 'car credential set');
        return send(res, 200, { deviceId: id, plate: c.plate });
      }
      if (what === 'driving' && method === 'PUT') {
        const c = car(id);
        const speedKmh = c.setDriving(await body(req, 'speedKmh', 'number'));
        return send(res, 200, { deviceId: id, speedKmh, mode: c.mode });
      }
      if (what === 'availability' && method === 'PUT') {
        const c = charger(id);
        if (!(c instanceof ChargerDevice))
          throw new GridlinkError('GL_VALIDATION', `${id} is a ${c.kind}: no availability`);
        const status = c.setOperative(await body(req, 'available', 'boolean'));
        return send(res, 200, { deviceId: id, status });
      }
      if (what === 'vehicle' && method === 'PUT') {
        const d = device(id);
        if (!(d instanceof KebaCharger))
          throw new GridlinkError('GL_VALIDATION', `${id} is a ${d.kind}, not a KEBA station`);
        const plugged: boolean = await body(req, 'plugged', 'boolean');
        const status = plugged ? d.plug() : d.unplug();
        log.info({ deviceId: id, plugged }, 'KEBA vehicle');
        return send(res, 200, { deviceId: id, plugged, status });
      }
    }
    throw new GridlinkError('GL_NOT_FOUND', `no route ${method} ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const e = isGridlinkError(err) ? err : new GridlinkError('GL_INTERNAL', 'internal error');
      if (!isGridlinkError(err)) log.error({ err }, 'control request failed');
      // A bad fault/rate body is a validation failure of this request: 400.
      const status = e.code === 'GL_CONFIG_INVALID' ? 400 : e.status;
      send(res, status, {
        error: { code: e.code, message: e.message, details: e.details ?? null },
      });
    });
  });
  const bound = await listen(server, {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    fallback: false,
  });
  return {
    host: bound.host,
    port: bound.port,
    url: `http://${bound.host}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
