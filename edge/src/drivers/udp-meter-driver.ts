import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import {
  type ErrorCode,
  formatZodIssues,
  GridlinkError,
  isGridlinkError,
  isValidCpf,
  parseJsonText,
  systemClock,
} from '@gridlink/shared';
import { z } from 'zod';
import type { EdgeConfig, UdpMeterDeviceConfig } from '../config/index.js';
import { meterSecrets } from './meter-secret.js';
import { type MeterZone, parseMeterTime } from './meter-time.js';
import { PushMeterHealth } from './push-meters.js';
import type { Driver, DriverContext, PendingMeter } from './types.js';

export interface UdpMeterDriverOptions extends DriverContext {
  devices: readonly UdpMeterDeviceConfig[];
  listener: EdgeConfig['udp'];
  /** Where zone-less wall-clock times are read (the edge's `timeZone`); default UTC. */
  zone?: MeterZone;
}

/**
 * The JSON datagram: the CSV fields with names. `value` is any number JSON can carry, `1e400`
 * (Infinity) included, which `z.number()` would refuse as a schema error: the reading window
 * turns it down instead, so it is counted as what it is (`value_not_finite`).
 */
const jsonDatagram = z
  .object({
    meterId: z.string().min(1).max(64),
    cpf: z.string().max(32).optional(),
    value: z.custom<number>((v) => typeof v === 'number', 'expected a number'),
    timestamp: z.union([z.number(), z.string().max(40)]),
    secret: z.string().max(256).optional(),
  })
  .strict();

/**
 * The seed's own JSON form (SEEDS D terminal fields): `id` is the customer's CPF, `id_medidor`
 * the meter number (restarting at 1 per customer), `valor` the interval's kWh.
 */
const seedDatagram = z
  .object({
    id: z.union([z.string().min(1).max(32), z.number().int().min(0).max(99_999_999_999)]),
    id_medidor: z.union([
      z.string().min(1).max(64),
      z
        .number()
        .int()
        .min(0)
        .max(2 ** 53),
    ]),
    valor: z.custom<number>((v) => typeof v === 'number', 'expected a number'),
    timestamp: z.union([z.number(), z.string().max(40)]),
    secret: z.string().max(256).optional(),
  })
  .strict();

interface Datagram {
  meterId: string;
  cpf: string | undefined;
  value: number;
  timestamp: unknown;
  secret: string | undefined;
}

/**
 * Parses one datagram: JSON when it starts with `{`, otherwise the original meters' CSV
 * `cpf,meter_id,value,timestamp` (SEEDS D), with the meter's secret as an optional fifth field.
 * Pure; throws catalog errors.
 */
export function parseUdpDatagram(text: string): Datagram {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const json = parseJsonText(trimmed, 'datagram is not JSON');
    if (typeof json === 'object' && json !== null && 'id_medidor' in json) {
      const seed = seedDatagram.safeParse(json);
      if (!seed.success) throw new GridlinkError('GL_PAYLOAD_SCHEMA', formatZodIssues(seed.error));
      const { id, id_medidor, valor, timestamp, secret } = seed.data;
      return {
        // A CPF sent as a JSON number has lost its leading zeros.
        cpf: typeof id === 'number' ? String(id).padStart(11, '0') : id,
        meterId: String(id_medidor),
        value: valor,
        timestamp,
        secret,
      };
    }
    const parsed = jsonDatagram.safeParse(json);
    if (!parsed.success)
      throw new GridlinkError('GL_PAYLOAD_SCHEMA', formatZodIssues(parsed.error));
    return { ...parsed.data, cpf: parsed.data.cpf, secret: parsed.data.secret };
  }
  const parts = trimmed.split(',');
  if (parts.length !== 4 && parts.length !== 5)
    throw new GridlinkError(
      'GL_PAYLOAD_SCHEMA',
      `expected cpf,meter_id,value,timestamp[,secret]; got ${parts.length} fields`,
    );
  const [cpf, meterId, value, timestamp, secret] = parts.map((p) => p.trim()) as [
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(meterId))
    throw new GridlinkError('GL_PAYLOAD_SCHEMA', 'meter_id: must be 1-64 of A-Z a-z 0-9 . _ -');
  if (!/^-?\d+(\.\d+)?$/.test(value))
    throw new GridlinkError('GL_PAYLOAD_SCHEMA', 'value: must be a decimal number');
  return { cpf, meterId, value: Number(value), timestamp, secret };
}

const replyFor: Partial<Record<ErrorCode, string>> = {
  GL_PAYLOAD_INVALID_JSON: '400',
  GL_PAYLOAD_SCHEMA: '400',
  GL_READING_INVALID: '400',
  GL_METER_AUTH_FAILED: '401',
  GL_PAYLOAD_TOO_LARGE: '413',
  GL_METER_UNKNOWN: '403',
  GL_PENDING_FULL: '503',
};

/**
 * UDP meters (SEEDS D). Every datagram is answered: `200` when stored (or held pending),
 * otherwise `<status> <code>` (`400 GL_PAYLOAD_SCHEMA`, `400 GL_READING_INVALID` for a reading
 * outside the edge's window, `401 GL_METER_AUTH_FAILED`, `403 GL_METER_UNKNOWN`,
 * `413 GL_PAYLOAD_TOO_LARGE`, `503 GL_PENDING_FULL`). A datagram goes to the device of its
 * (cpf, meterId), else to the cpf-less device of its meterId (seed D numbers restart at 1 per
 * customer). An unknown meter with a valid CPF is held pending when provisioning is on
 * (docs/PROVISIONING.md); other unknown senders and wrong secrets are counted on the listener and
 * rejected; nothing of theirs reaches the log, nor a device's health.
 */
export type UdpMeterDriver = Driver & {
  port(): number;
  /**
   * Takes a new device list and zone in place when `listener` is the running one's (the socket
   * and its port stay); false when it is not (the agent then starts a new driver).
   */
  retarget(
    listener: EdgeConfig['udp'],
    devices: readonly UdpMeterDeviceConfig[],
    zone: MeterZone,
  ): boolean;
};

/** A listener's socket settings: equal ones can be kept across a config change. */
export const listenerKey = (l: Record<string, unknown>): string =>
  JSON.stringify({ ...l, localTimeOffsetMinutes: undefined });

export function createUdpMeterDriver(o: UdpMeterDriverOptions): UdpMeterDriver {
  /** `cpf/meterId` for a device with a CPF, `/meterId` for one without (config's pushMeterKey). */
  let devices = o.devices;
  let byKey = new Map(devices.map((d) => [`${d.cpf ?? ''}/${d.meterId}`, d]));
  const lookup = (cpf: string | undefined, meterId: string) =>
    (cpf ? byKey.get(`${cpf}/${meterId}`) : undefined) ?? byKey.get(`/${meterId}`);
  let zone = o.zone ?? 0;
  const health = new PushMeterHealth(
    'udp-meter',
    devices.map((d) => d.id),
  );
  let secrets = meterSecrets(devices);
  const counters = {
    datagrams: 0,
    accepted: 0,
    malformed: 0,
    unknown_senders: 0,
    too_large: 0,
    auth_failed: 0,
    invalid_readings: 0,
    pending_readings: 0,
    pending_full: 0,
  };
  const clock = o.clock ?? systemClock;
  const now = () => clock.now();
  let socket: Socket | undefined;

  const handle = (msg: Buffer, from: RemoteInfo): void => {
    counters.datagrams++;
    let reply = '200';
    let device: UdpMeterDeviceConfig | undefined;
    try {
      if (msg.length > o.listener.maxBytes)
        throw new GridlinkError(
          'GL_PAYLOAD_TOO_LARGE',
          `datagram is ${msg.length} bytes, limit ${o.listener.maxBytes}`,
        );
      const d = parseUdpDatagram(msg.toString('utf8'));
      const cpf = d.cpf?.replace(/\D/g, '');
      const known = lookup(cpf, d.meterId);
      if (!known && o.pending?.enabled && cpf !== undefined && isValidCpf(cpf)) {
        // An unknown meter of a real CPF: held as pending until the central binds it.
        const meter: PendingMeter = {
          key: `udp-meter:${cpf}:${d.meterId}`,
          driver: 'udp-meter',
          cpf,
          meterId: d.meterId,
          from: `${from.address}:${from.port}`,
        };
        const ts = parseMeterTime(d.timestamp, zone);
        const admission = o.pending.hold(meter, {
          ts,
          quality: 'good',
          values: { energy_interval: d.value },
        });
        if (!admission.ok)
          throw new GridlinkError('GL_READING_INVALID', admission.message, {
            reason: admission.reason,
          });
        counters.pending_readings++;
        socket?.send(reply, from.port, from.address);
        return;
      }
      if (!known)
        throw new GridlinkError(
          'GL_METER_UNKNOWN',
          `meter ${d.meterId.slice(0, 64)} is not configured`,
        );
      // Until its secret (if it has one) is proven, the sender is not the meter: a failure
      // before this line is the listener's, never the device's.
      secrets.get(known.id)?.check(d.secret, known.meterId);
      device = known;
      const ts = parseMeterTime(d.timestamp, zone);
      const admission = o.onReading({
        deviceId: device.id,
        ts,
        quality: 'good',
        values: { [device.valueName]: d.value },
      });
      if (!admission.ok)
        throw new GridlinkError('GL_READING_INVALID', admission.message, {
          reason: admission.reason,
        });
      counters.accepted++;
      health.accepted(device.id, now());
    } catch (err) {
      const e = isGridlinkError(err)
        ? err
        : new GridlinkError('GL_INTERNAL', 'datagram handling failed');
      if (e.code === 'GL_METER_UNKNOWN') counters.unknown_senders++;
      else if (e.code === 'GL_PAYLOAD_TOO_LARGE') counters.too_large++;
      else if (e.code === 'GL_METER_AUTH_FAILED') counters.auth_failed++;
      else if (e.code === 'GL_READING_INVALID') counters.invalid_readings++;
      else if (e.code === 'GL_PENDING_FULL') counters.pending_full++;
      else counters.malformed++;
      // A rejected reading is counted on the device by the agent's reading gate.
      if (device && e.code !== 'GL_READING_INVALID') health.failed(device.id, e.code, e.message);
      // No sender data in log bindings: the address is enough to find a misconfigured meter.
      o.logger.debug({ code: e.code, from: `${from.address}:${from.port}` }, 'datagram rejected');
      reply = `${replyFor[e.code] ?? '500'} ${e.code}`;
    }
    socket?.send(reply, from.port, from.address);
  };

  return {
    name: 'udp-meter',
    async start() {
      const s = createSocket(o.listener.host.includes(':') ? 'udp6' : 'udp4');
      s.on('message', handle);
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err) =>
          reject(
            new GridlinkError(
              'GL_PORT_IN_USE',
              `UDP ${o.listener.host}:${o.listener.port}: ${err.message}`,
            ),
          ),
        );
        s.bind(o.listener.port, o.listener.host, () => resolve());
      });
      s.on('error', (err) => o.logger.warn({ err: err.message }, 'UDP meter socket error'));
      socket = s;
    },
    async close() {
      const s = socket;
      socket = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    port: () => socket?.address().port ?? 0,
    retarget(listener, next, nextZone) {
      if (listenerKey(listener) !== listenerKey(o.listener)) return false;
      devices = next;
      byKey = new Map(devices.map((d) => [`${d.cpf ?? ''}/${d.meterId}`, d]));
      secrets = meterSecrets(devices);
      zone = nextZone;
      health.retain(devices.map((d) => d.id));
      return true;
    },
    deviceIds: () => devices.map((d) => d.id),
    devices: () => health.views(),
    channels: () => [
      {
        driver: 'udp-meter',
        channel: `udp:${o.listener.host}:${o.listener.port}`,
        counters: { ...counters },
      },
    ],
  };
}
