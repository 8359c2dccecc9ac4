import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  type DeviceHealth,
  type ErrorCode,
  GridlinkError,
  initialDeviceHealth,
  isGridlinkError,
  systemClock,
  type TimerHandle,
} from '@gridlink/shared';
import type { EdgeConfig, KebaUdpDeviceConfig } from '../config/index.js';
import type { DeviceErrorCounts } from '../poller/index.js';
import {
  type KebaMessage,
  kebaCommandText,
  parseKebaMessage,
  parseReport2,
  parseReport3,
  report2Values,
  report3Values,
} from './keba-udp-codec.js';
import { KebaStationLink } from './keba-udp-station.js';
import type { ChannelView, DeviceView, Driver, DriverContext } from './types.js';

export interface KebaUdpDriverOptions extends DriverContext {
  devices: readonly KebaUdpDeviceConfig[];
  listener: EdgeConfig['keba'];
}

interface Entry {
  device: KebaUdpDeviceConfig;
  /** The station's IP address (its host resolved at start). */
  address?: string;
  link: KebaStationLink;
  health: DeviceHealth;
  errors: DeviceErrorCounts;
  nextAt: number;
  timer?: TimerHandle;
  polling?: Promise<void>;
}

/** How long close() waits for polls in flight (their requests fail at once when links close). */
const CLOSE_GRACE_MS = 2000;

/** `::ffff:10.0.0.5` (an IPv4 sender on a dual-stack socket) is 10.0.0.5. */
const normalizeAddress = (address: string) => address.replace(/^::ffff:(?=\d+\.)/i, '');

/**
 * KEBA KeContact P20/P30 chargers over their UDP protocol (docs/EDGE.md, "KEBA KeContact UDP").
 * One socket serves every station: each request leaves from it to the station's host:port, and
 * the station's answer is the next fitting datagram from exactly that address and port. A
 * station has one request in flight at a time (KebaStationLink). Every `intervalMs` a device is
 * asked `report 2` and `report 3`; the two answers become one reading (quality `uncertain` when
 * only one came). After `offlineAfter` failed polls it is offline and only `report 2` probes it
 * until it answers again.
 *
 * Datagrams that are too large, malformed, from unknown senders, unsolicited broadcasts or late
 * answers are counted per channel and never become readings.
 */
export function createKebaUdpDriver(o: KebaUdpDriverOptions): Driver & { port(): number } {
  const clock = o.clock ?? systemClock;
  const now = () => clock.now();
  const counters = {
    datagrams: 0,
    accepted: 0,
    malformed: 0,
    unknown_senders: 0,
    too_large: 0,
    broadcasts: 0,
    unexpected: 0,
  };
  const entries = new Map<string, Entry>();
  /** `address:port` → entry, filled at start (host names are resolved once). */
  const bySender = new Map<string, Entry>();
  let socket: Socket | undefined;
  let closed = false;

  const count = (e: Entry, code: ErrorCode) => {
    e.errors[code] = (e.errors[code] ?? 0) + 1;
  };

  for (const device of o.devices) {
    const name = `${device.id} (${device.host}:${device.port})`;
    const entry: Entry = {
      device,
      health: initialDeviceHealth(device.id),
      errors: {},
      nextAt: 0,
      link: new KebaStationLink({
        name,
        timeoutMs: device.timeoutMs,
        pauseMs: o.listener.pauseMs,
        clock,
        send: (text, done) => {
          if (!socket) return done(new Error('socket closed'));
          socket.send(text, device.port, entry.address ?? device.host, (err) => done(err));
        },
      }),
    };
    entries.set(device.id, entry);
  }

  const handle = (msg: Buffer, from: RemoteInfo): void => {
    counters.datagrams++;
    if (msg.length > o.listener.maxBytes) {
      counters.too_large++;
      return;
    }
    const sender = `${normalizeAddress(from.address)}:${from.port}`;
    const e = bySender.get(sender);
    if (!e) {
      counters.unknown_senders++;
      o.logger.debug({ code: 'GL_SENDER_UNKNOWN', from: sender }, 'datagram from unknown sender');
      return;
    }
    let message: KebaMessage;
    try {
      message = parseKebaMessage(msg.toString('latin1'));
    } catch (err) {
      const code = isGridlinkError(err) ? err.code : 'GL_INTERNAL';
      counters.malformed++;
      count(e, code);
      o.logger.debug({ code, deviceId: e.device.id }, 'malformed datagram');
      return;
    }
    if (message.kind === 'broadcast') {
      // {"State": 2}, {"Plug": 7}…: nothing is updated from them; the next poll reads the truth.
      counters.broadcasts++;
      return;
    }
    if (e.link.deliver(message)) counters.accepted++;
    else counters.unexpected++;
  };

  /** One poll: report 2, then report 3 (a probe while offline: report 2 only until it answers). */
  const poll = async (e: Entry): Promise<void> => {
    const { device, health } = e;
    health.polls++;
    const offline = health.consecutiveFailures >= device.offlineAfter;
    const values: Record<string, number> = {};
    const errors: GridlinkError[] = [];
    let answered = 0;
    for (const id of [2, 3] as const) {
      if (id === 3 && offline && answered === 0) break;
      try {
        const m = (await e.link.request(`report ${id}`, { kind: 'report', id }, 'poll')) as Extract<
          KebaMessage,
          { kind: 'report' }
        >;
        Object.assign(
          values,
          id === 2 ? report2Values(parseReport2(m.fields)) : report3Values(parseReport3(m.fields)),
        );
        answered++;
      } catch (err) {
        const error = isGridlinkError(err)
          ? err
          : new GridlinkError('GL_INTERNAL', `report ${id}: ${(err as Error).message}`);
        if (error.code === 'GL_PAYLOAD_SCHEMA') counters.malformed++;
        count(e, error.code);
        errors.push(error);
      }
    }
    if (closed) return;
    const first = errors[0];
    health.lastError = first ? `${first.code}: ${first.message}`.slice(0, 300) : null;
    if (answered > 0) {
      o.onReading({
        deviceId: device.id,
        ts: now(),
        quality: answered === 2 ? 'good' : 'uncertain',
        values,
      });
      if (!health.online) o.logger.info({ deviceId: device.id }, 'device online');
      health.online = true;
      health.consecutiveFailures = 0;
      health.lastOkAt = now();
      return;
    }
    health.failures++;
    health.consecutiveFailures++;
    if (health.online && health.consecutiveFailures >= device.offlineAfter) {
      health.online = false;
      o.logger.warn(
        { deviceId: device.id, code: 'GL_DEVICE_OFFLINE', failures: health.consecutiveFailures },
        'device offline',
      );
    }
  };

  /** Ticks on a fixed grid; a tick that finds the last poll running is an overrun, not queued. */
  const schedule = (e: Entry): void => {
    if (closed) return;
    e.timer = clock.setTimeout(() => tick(e), Math.max(0, e.nextAt - now()));
    e.timer.unref();
  };
  const tick = (e: Entry): void => {
    const interval = e.device.intervalMs;
    e.nextAt += interval;
    const t = now();
    if (e.nextAt <= t) {
      const missed = Math.floor((t - e.nextAt) / interval) + 1;
      e.health.overruns += missed;
      e.nextAt += missed * interval;
    }
    if (e.polling) e.health.overruns++;
    else
      e.polling = poll(e)
        .catch((err: unknown) =>
          o.logger.error({ deviceId: e.device.id, err }, 'poll failed unexpectedly'),
        )
        .finally(() => {
          e.polling = undefined;
        });
    schedule(e);
  };

  const resolveHost = async (host: string, family: 4 | 6): Promise<string> =>
    isIP(host) ? host : (await lookup(host, { family })).address;

  return {
    name: 'keba-udp',
    async start() {
      const { host, port } = o.listener;
      const family = host.includes(':') ? 6 : 4;
      for (const e of entries.values()) {
        let address: string;
        try {
          address = await resolveHost(e.device.host, family);
        } catch (err) {
          throw new GridlinkError(
            'GL_CONFIG_INVALID',
            `device ${e.device.id}: host ${e.device.host}: ${(err as Error).message}`,
          );
        }
        e.address = address;
        bySender.set(`${normalizeAddress(address)}:${e.device.port}`, e);
      }
      const s = createSocket(family === 6 ? 'udp6' : 'udp4');
      s.on('message', handle);
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err) =>
          reject(new GridlinkError('GL_PORT_IN_USE', `KEBA UDP ${host}:${port}: ${err.message}`)),
        );
        s.bind(port, host, () => resolve());
      });
      s.on('error', (err) => o.logger.warn({ err: err.message }, 'KEBA UDP socket error'));
      socket = s;
      closed = false;
      for (const e of entries.values()) {
        e.nextAt = now();
        schedule(e);
      }
    },
    async close() {
      closed = true;
      for (const e of entries.values()) {
        clock.clearTimeout(e.timer);
        e.link.close();
      }
      const polls = [...entries.values()].map((e) => e.polling);
      await Promise.race([
        Promise.all(polls),
        new Promise<void>((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref()),
      ]);
      const s = socket;
      socket = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    port: () => socket?.address().port ?? 0,
    deviceIds: () => [...entries.keys()],
    devices: (): DeviceView[] =>
      [...entries.values()].map((e) => ({
        driver: 'keba-udp',
        health: { ...e.health },
        errors: { ...e.errors },
      })),
    channels: (): ChannelView[] => {
      const links = { requests: 0, timeouts: 0, refused: 0 };
      for (const e of entries.values()) {
        links.requests += e.link.stats.requests;
        links.timeouts += e.link.stats.timeouts;
        links.refused += e.link.stats.refused;
      }
      return [
        {
          driver: 'keba-udp',
          channel: `udp:${o.listener.host}:${socket?.address().port ?? o.listener.port}`,
          counters: { ...counters, ...links },
        },
      ];
    },
    async command(deviceId, command, value) {
      const e = entries.get(deviceId);
      if (!e) throw new GridlinkError('GL_COMMAND_INVALID', `no KEBA device ${deviceId}`);
      await e.link.request(kebaCommandText(command, value), { kind: 'ack' }, 'command');
    },
  };
}
