import { createServer, type Server, type Socket } from 'node:net';
import { GridlinkError, isGridlinkError, systemClock } from '@gridlink/shared';
import type { EdgeConfig, TcpJsonMeterDeviceConfig } from '../config/index.js';
import { JsonObjectStream } from './json-object-stream.js';
import { meterSecrets } from './meter-secret.js';
import { type MeterZone, parseMeterTime } from './meter-time.js';
import { PushMeterHealth } from './push-meters.js';
import { parseMeterLine } from './tcp-json-meter-codec.js';
import type { Driver, DriverContext, PendingMeter } from './types.js';
import { listenerKey } from './udp-meter-driver.js';

export interface TcpJsonMeterDriverOptions extends DriverContext {
  devices: readonly TcpJsonMeterDeviceConfig[];
  listener: EdgeConfig['tcpJson'];
  /** Where zone-less wall-clock times are read (the edge's `timeZone`); default UTC. */
  zone?: MeterZone;
}

/** `::ffff:10.0.0.5` (IPv4-mapped, as a dual-stack server sees it) is `10.0.0.5`. */
const plainAddress = (a: string | undefined): string =>
  a?.startsWith('::ffff:') ? a.slice(7) : (a ?? '');

/** Objects queued on one connection while its fresh id is being made durable. */
const MAX_QUEUED = 100;

/** A connection's meter: a configured (or provisioned) device, or a pending id. */
type Session =
  | { kind: 'device'; meterId: number; device: TcpJsonMeterDeviceConfig }
  | { kind: 'pending'; meterId: number; meter: PendingMeter };

/** Errors after which the connection is closed (once the error line is written). */
const FATAL = new Set(['GL_METER_TAKEN', 'GL_METER_AUTH_FAILED', 'GL_CONNECTION_LIMIT']);

/** `{"error":{code,message}}`; a rejected reading's line also says why (`details.reason`). */
const errorLine = (e: GridlinkError): string => {
  const error = { code: e.code, message: e.message.slice(0, 200) };
  const details = e.code === 'GL_READING_INVALID' ? { details: e.details } : {};
  return `${JSON.stringify({ error: { ...error, ...details } })}\n`;
};

/**
 * TCP JSON meters (SEEDS E): JSON objects, with or without newlines between them (a streaming
 * object reader, json-object-stream.ts); answers are newline-terminated JSON. A meter that knows
 * its id says `{"id":N}`. `{"id":0}` follows the identity rule (docs/PROVISIONING.md): it binds a
 * configured meter only when that is unambiguous (its secret is exactly one meter's and that one
 * is free, or exactly one configured meter has the connection's address as `host`, no secret,
 * and is free); otherwise the meter gets a FRESH id (a durable counter above every configured id,
 * never reused) and is held pending as `tcp-json-meter:{id}` (GL_METER_UNKNOWN when provisioning
 * is off). A restarted meter therefore never takes another meter's identity. Then each `{id,
 * consumption, datetime, type:"/spent"}` object becomes a reading (cumulative kWh), once the
 * agent's reading window admits it. A bad object (or bytes that are none) is answered
 * `{"error":{code,message}}` and skipped; the connection stays up. An object longer than
 * `maxBytes` is answered GL_PAYLOAD_TOO_LARGE and discarded. Unknown ids are rejected.
 *
 * A meter id belongs to the connection that bound it (by hello or first reading) until that
 * connection closes: another connection naming it is answered GL_METER_TAKEN and closed, and the
 * live one keeps working. A meter configured with a secret must send it on the line that binds
 * it (else GL_METER_AUTH_FAILED, closed). At most `maxConnections` are open (a newcomer past it:
 * GL_CONNECTION_LIMIT, closed); one that sends no usable line for `idleTimeoutMs` is closed,
 * which frees its meter id. Every refusal is counted on the listener.
 */
export type TcpJsonMeterDriver = Driver & {
  port(): number;
  /**
   * Takes a new device list and zone in place when `listener` is the running one's: the server
   * and its connections stay, so a meter bound while connected (a pending id now provisioned)
   * goes on without reconnecting (an original seed E meter would ask `{"id":0}` again). A
   * connection whose meter is gone, or now has a secret it never sent, is closed. False when
   * the listener changed (the agent then starts a new driver).
   */
  retarget(
    listener: EdgeConfig['tcpJson'],
    devices: readonly TcpJsonMeterDeviceConfig[],
    zone: MeterZone,
  ): boolean;
};

export function createTcpJsonMeterDriver(o: TcpJsonMeterDriverOptions): TcpJsonMeterDriver {
  let devices = o.devices;
  let byMeterId = new Map(devices.map((d) => [d.meterId, d]));
  let secrets = meterSecrets(devices);
  let zone = o.zone ?? 0;
  /** Fresh ids start above every configured (and provisioned) meter id. */
  let idFloor = devices.reduce((m, d) => Math.max(m, d.meterId), 0);
  /** Each served connection's check of its session against the current devices. */
  const reconcilers = new Map<Socket, () => void>();
  /** Meter id (configured or pending) → the connection that holds it. */
  const holders = new Map<number, Socket>();
  const health = new PushMeterHealth(
    'tcp-json-meter',
    devices.map((d) => d.id),
  );
  const counters = {
    connections: 0,
    lines: 0,
    accepted: 0,
    malformed: 0,
    unknown_senders: 0,
    too_large: 0,
    invalid_readings: 0,
    auth_failed: 0,
    meter_taken: 0,
    connection_limit: 0,
    idle_closed: 0,
    fresh_ids: 0,
    pending_readings: 0,
    pending_full: 0,
  };
  const clock = o.clock ?? systemClock;
  const now = () => clock.now();
  /** Every open socket, refused ones included (close() ends them all). */
  const sockets = new Set<Socket>();
  /** Connections being served: what `maxConnections` bounds. */
  let served = 0;
  let server: Server | undefined;

  /**
   * `{"id":0}`: the configured meter this connection unambiguously is, if any. With a secret:
   * the one meter whose secret it is (a secret that is no meter's: GL_METER_AUTH_FAILED).
   * Without: the one configured meter whose `host` is the connection's address, if it has no
   * secret. Anything else is ambiguous: undefined (a fresh id). The one found may be live on
   * another connection: binding it then answers GL_METER_TAKEN, never another meter's id.
   */
  const identify = (
    secret: string | undefined,
    address: string,
  ): TcpJsonMeterDeviceConfig | undefined => {
    if (secret !== undefined) {
      const mine = devices.filter((d) => secrets.get(d.id)?.matches(secret) === true);
      if (mine.length === 0)
        throw new GridlinkError('GL_METER_AUTH_FAILED', 'no configured meter has this secret');
      return mine.length === 1 ? mine[0] : undefined;
    }
    const there = devices.filter((d) => d.host !== undefined && plainAddress(d.host) === address);
    const only = there.length === 1 ? there[0] : undefined;
    return only && !secrets.has(only.id) ? only : undefined;
  };

  const serve = (socket: Socket): void => {
    counters.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    let closing = false;
    /** Writes the error line, then closes; nothing more is read from this connection. */
    const refuse = (e: GridlinkError) => {
      closing = true;
      socket.end(errorLine(e), () => socket.destroy());
    };
    if (served >= o.listener.maxConnections) {
      counters.connection_limit++;
      refuse(
        new GridlinkError(
          'GL_CONNECTION_LIMIT',
          `the listener holds its maximum of ${o.listener.maxConnections} connections`,
        ),
      );
      return;
    }
    served++;
    const address = plainAddress(socket.remoteAddress);
    const from = `${address}:${socket.remotePort ?? 0}`;
    const idle = setTimeout(() => {
      counters.idle_closed++;
      socket.destroy();
    }, o.listener.idleTimeoutMs);
    idle.unref();
    /** A usable object (an answered hello, an admitted reading) keeps the connection open. */
    const active = () => idle.refresh();

    let session: Session | undefined;
    const device = () => (session?.kind === 'device' ? session.device : undefined);
    /** Set while a fresh id is being made durable: later objects wait in `queued`. */
    let busy = false;
    const queued: string[] = [];
    const reply = (obj: unknown) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(obj)}\n`);
    };
    const fail = (err: unknown) => {
      const e = isGridlinkError(err)
        ? err
        : new GridlinkError('GL_INTERNAL', 'line handling failed');
      if (e.code === 'GL_METER_UNKNOWN') counters.unknown_senders++;
      else if (e.code === 'GL_PAYLOAD_TOO_LARGE') counters.too_large++;
      else if (e.code === 'GL_READING_INVALID') counters.invalid_readings++;
      else if (e.code === 'GL_METER_AUTH_FAILED') counters.auth_failed++;
      else if (e.code === 'GL_METER_TAKEN') counters.meter_taken++;
      else if (e.code === 'GL_PENDING_FULL') counters.pending_full++;
      else counters.malformed++;
      // A rejected reading is counted on the device by the agent's reading gate.
      const d = device();
      if (d && e.code !== 'GL_METER_UNKNOWN' && e.code !== 'GL_READING_INVALID')
        health.failed(d.id, e.code, e.message);
      if (FATAL.has(e.code)) refuse(e);
      else if (!socket.destroyed) socket.write(errorLine(e));
    };
    /** Claims meter id `meterId` for this connection (GL_METER_TAKEN when another holds it). */
    const claim = (meterId: number) => {
      const holder = holders.get(meterId);
      if (holder && holder !== socket)
        throw new GridlinkError(
          'GL_METER_TAKEN',
          `meter id ${meterId} is live on another connection`,
        );
      holders.set(meterId, socket);
    };
    /** Makes this connection `d`'s: its secret first (so a stranger learns nothing), then the id. */
    const bind = (d: TcpJsonMeterDeviceConfig, secret: string | undefined) => {
      secrets.get(d.id)?.check(secret, String(d.meterId));
      claim(d.meterId);
      session = { kind: 'device', meterId: d.meterId, device: d };
      health.setOnline(d.id, true);
    };
    const pendingMeter = (meterId: number): PendingMeter => ({
      key: `tcp-json-meter:${meterId}`,
      driver: 'tcp-json-meter',
      meterId: String(meterId),
      from,
    });
    /** Binds to pending id `meterId` when the store holds it; false when it does not. */
    const bindPending = (meterId: number): boolean => {
      const meter = pendingMeter(meterId);
      if (!o.pending?.enabled || !o.pending.has(meter.key)) return false;
      claim(meterId);
      session = { kind: 'pending', meterId, meter };
      o.pending.announce(meter); // seen again: from and lastSeenAt
      return true;
    };
    /** `{"id":0}` that no configured meter can take: a fresh, durable id, pending. */
    const freshId = () => {
      const pending = o.pending;
      if (!pending?.enabled)
        throw new GridlinkError(
          'GL_METER_UNKNOWN',
          'no configured meter is unambiguously this one (send its secret, or its id)',
        );
      busy = true;
      pending.freshTcpId(idFloor).then(
        (id) => {
          busy = false;
          if (socket.destroyed || closing) return;
          counters.fresh_ids++;
          try {
            const meter = pendingMeter(id);
            pending.announce(meter);
            claim(id);
            session = { kind: 'pending', meterId: id, meter };
            reply({ id });
            active();
          } catch (err) {
            fail(err);
          }
          drain();
        },
        (err: unknown) => {
          busy = false;
          fail(err);
          drain();
        },
      );
    };
    const object = (text: string) => {
      counters.lines++;
      const msg = parseMeterLine(text);
      if ('hello' in msg) {
        if (session) {
          // A connection is one meter for its whole life.
          if (msg.hello !== session.meterId)
            throw new GridlinkError(
              'GL_METER_UNKNOWN',
              `this connection is meter ${session.meterId}`,
            );
        } else if (msg.hello === 0) {
          const d = identify(msg.secret, address);
          if (!d) {
            freshId();
            return;
          }
          bind(d, msg.secret);
        } else {
          const d = byMeterId.get(msg.hello);
          if (d) bind(d, msg.secret);
          else if (!bindPending(msg.hello))
            throw new GridlinkError('GL_METER_UNKNOWN', `meter id ${msg.hello} is not configured`);
        }
        reply({ id: (session as Session).meterId });
        active();
        return;
      }
      if (!session) {
        const d = byMeterId.get(msg.id);
        if (d) bind(d, msg.secret);
        else if (!bindPending(msg.id))
          throw new GridlinkError('GL_METER_UNKNOWN', `meter id ${msg.id} is not configured`);
      }
      const s = session as Session;
      if (msg.id !== s.meterId)
        throw new GridlinkError(
          'GL_METER_UNKNOWN',
          `meter id ${msg.id} is not this connection's meter`,
        );
      const ts = parseMeterTime(msg.datetime, zone);
      if (s.kind === 'pending') {
        const pending = o.pending;
        if (!pending?.has(s.meter.key))
          throw new GridlinkError('GL_METER_UNKNOWN', `meter id ${msg.id} is no longer pending`);
        const admission = pending.hold(s.meter, {
          ts,
          quality: 'good',
          values: { energy_import: msg.consumption },
        });
        if (!admission.ok)
          throw new GridlinkError('GL_READING_INVALID', admission.message, {
            reason: admission.reason,
          });
        counters.pending_readings++;
        active();
        return;
      }
      const admission = o.onReading({
        deviceId: s.device.id,
        ts,
        quality: 'good',
        values: { [s.device.valueName]: msg.consumption },
      });
      if (!admission.ok)
        throw new GridlinkError('GL_READING_INVALID', admission.message, {
          reason: admission.reason,
        });
      counters.accepted++;
      health.accepted(s.device.id, now());
      active();
    };
    const handle = (text: string) => {
      try {
        object(text);
      } catch (err) {
        fail(err);
      }
    };
    const drain = () => {
      while (!busy && !closing && queued.length > 0) handle(queued.shift() as string);
    };
    // After a retarget: a device session follows its device; a pending one becomes the device
    // that now serves its id; a meter gone, or now with a secret, must connect again.
    reconcilers.set(socket, () => {
      if (!session) return;
      const d = byMeterId.get(session.meterId);
      if (session.kind === 'device') {
        // The same meter with the same secret goes on; gone, renamed or re-keyed: reconnect.
        if (d && d.id === session.device.id && d.secret === session.device.secret)
          session = { kind: 'device', meterId: d.meterId, device: d };
        else socket.destroy();
      } else if (d) {
        // A pending id now served: the meter goes on as that device (it proved no secret).
        if (secrets.has(d.id)) socket.destroy();
        else {
          session = { kind: 'device', meterId: d.meterId, device: d };
          health.setOnline(d.id, true);
        }
      }
    });
    const stream = new JsonObjectStream(o.listener.maxBytes);
    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      stream.push(chunk, (event) => {
        if (closing) return;
        if (event.kind === 'object') {
          if (!busy) handle(event.text);
          else if (queued.length < MAX_QUEUED) queued.push(event.text);
          else counters.malformed++;
        } else if (event.kind === 'too-large')
          fail(
            new GridlinkError(
              'GL_PAYLOAD_TOO_LARGE',
              `object longer than ${o.listener.maxBytes} bytes`,
            ),
          );
        else
          fail(
            new GridlinkError(
              'GL_PAYLOAD_INVALID_JSON',
              `${event.bytes} bytes that are no JSON object`,
            ),
          );
      });
    });
    socket.on('close', () => {
      served--;
      reconcilers.delete(socket);
      clearTimeout(idle);
      if (session && holders.get(session.meterId) === socket) {
        holders.delete(session.meterId);
        const d = device();
        if (d) health.setOnline(d.id, false);
      }
    });
  };

  return {
    name: 'tcp-json-meter',
    async start() {
      const s = createServer(serve);
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err) =>
          reject(
            new GridlinkError(
              'GL_PORT_IN_USE',
              `TCP ${o.listener.host}:${o.listener.port}: ${err.message}`,
            ),
          ),
        );
        s.listen(o.listener.port, o.listener.host, () => resolve());
      });
      server = s;
    },
    async close() {
      for (const s of sockets) s.destroy();
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    port: () => {
      const a = server?.address();
      return typeof a === 'object' && a ? a.port : 0;
    },
    retarget(listener, next, nextZone) {
      if (listenerKey(listener) !== listenerKey(o.listener)) return false;
      devices = next;
      byMeterId = new Map(devices.map((d) => [d.meterId, d]));
      secrets = meterSecrets(devices);
      idFloor = devices.reduce((m, d) => Math.max(m, d.meterId), 0);
      zone = nextZone;
      health.retain(devices.map((d) => d.id));
      for (const reconcile of [...reconcilers.values()]) reconcile();
      return true;
    },
    deviceIds: () => devices.map((d) => d.id),
    devices: () => health.views(),
    channels: () => [
      {
        driver: 'tcp-json-meter',
        channel: `tcp:${o.listener.host}:${o.listener.port}`,
        counters: { ...counters },
      },
    ],
  };
}
