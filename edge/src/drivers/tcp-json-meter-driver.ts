import { createServer, type Server, type Socket } from 'node:net';
import { GridlinkError, isGridlinkError, systemClock } from '@gridlink/shared';
import type { EdgeConfig, TcpJsonMeterDeviceConfig } from '../config/index.js';
import { meterSecrets } from './meter-secret.js';
import { parseMeterTime } from './meter-time.js';
import { PushMeterHealth } from './push-meters.js';
import { parseMeterLine } from './tcp-json-meter-codec.js';
import type { Driver, DriverContext } from './types.js';

export interface TcpJsonMeterDriverOptions extends DriverContext {
  devices: readonly TcpJsonMeterDeviceConfig[];
  listener: EdgeConfig['tcpJson'];
}

/** Errors after which the connection is closed (once the error line is written). */
const FATAL = new Set(['GL_METER_TAKEN', 'GL_METER_AUTH_FAILED', 'GL_CONNECTION_LIMIT']);

/** `{"error":{code,message}}`; a rejected reading's line also says why (`details.reason`). */
const errorLine = (e: GridlinkError): string => {
  const error = { code: e.code, message: e.message.slice(0, 200) };
  const details = e.code === 'GL_READING_INVALID' ? { details: e.details } : {};
  return `${JSON.stringify({ error: { ...error, ...details } })}\n`;
};

/**
 * TCP JSON meters (SEEDS E): newline-terminated JSON. `{"id":0}` is answered `{"id":N}` with the
 * first configured meter id that has no connection; a meter that knows its id says `{"id":N}`.
 * Then each `{id, consumption, datetime, type:"/spent"}` line becomes a reading (cumulative kWh),
 * once the agent's reading window admits it. A bad line is answered `{"error":{code,message}}`
 * and skipped; the connection stays up. A line longer than `maxBytes` is discarded up to its
 * newline. Unknown ids are rejected, never stored.
 *
 * A meter id belongs to the connection that bound it (by hello or first reading) until that
 * connection closes: another connection naming it is answered GL_METER_TAKEN and closed, and the
 * live one keeps working. A meter configured with a secret must send it on the line that binds
 * it (else GL_METER_AUTH_FAILED, closed). At most `maxConnections` are open (a newcomer past it:
 * GL_CONNECTION_LIMIT, closed); one that sends no usable line for `idleTimeoutMs` is closed,
 * which frees its meter id. Every refusal is counted on the listener.
 */
export function createTcpJsonMeterDriver(
  o: TcpJsonMeterDriverOptions,
): Driver & { port(): number } {
  const byMeterId = new Map(o.devices.map((d) => [d.meterId, d]));
  const secrets = meterSecrets(o.devices);
  /** Meter id → the connection that holds it. */
  const holders = new Map<number, Socket>();
  const health = new PushMeterHealth(
    'tcp-json-meter',
    o.devices.map((d) => d.id),
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
  };
  const clock = o.clock ?? systemClock;
  const now = () => clock.now();
  /** Every open socket, refused ones included (close() ends them all). */
  const sockets = new Set<Socket>();
  /** Connections being served: what `maxConnections` bounds. */
  let served = 0;
  let server: Server | undefined;

  /** `{"id":0}`: the first free meter this connection may be (its secret, or none, matches). */
  const freeMeter = (secret: string | undefined): TcpJsonMeterDeviceConfig | undefined =>
    o.devices.find((d) => {
      if (holders.has(d.meterId)) return false;
      const own = secrets.get(d.id);
      return secret === undefined ? own === undefined : own?.matches(secret) === true;
    });

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
    const idle = setTimeout(() => {
      counters.idle_closed++;
      socket.destroy();
    }, o.listener.idleTimeoutMs);
    idle.unref();
    /** A usable line (an answered hello, an admitted reading) keeps the connection open. */
    const active = () => idle.refresh();

    let session: TcpJsonMeterDeviceConfig | undefined;
    let buf = '';
    let discarding = false;
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
      else counters.malformed++;
      // A rejected reading is counted on the device by the agent's reading gate.
      if (session && e.code !== 'GL_METER_UNKNOWN' && e.code !== 'GL_READING_INVALID')
        health.failed(session.id, e.code, e.message);
      if (FATAL.has(e.code)) refuse(e);
      else if (!socket.destroyed) socket.write(errorLine(e));
    };
    /** Makes this connection `device`'s: its secret first (so a stranger learns nothing), then the id. */
    const bind = (device: TcpJsonMeterDeviceConfig, secret: string | undefined) => {
      secrets.get(device.id)?.check(secret, String(device.meterId));
      const holder = holders.get(device.meterId);
      if (holder && holder !== socket)
        throw new GridlinkError(
          'GL_METER_TAKEN',
          `meter id ${device.meterId} is live on another connection`,
        );
      holders.set(device.meterId, socket);
      session = device;
      health.setOnline(device.id, true);
    };
    const line = (text: string) => {
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
        } else {
          const device = msg.hello === 0 ? freeMeter(msg.secret) : byMeterId.get(msg.hello);
          if (!device) {
            if (msg.hello === 0 && msg.secret !== undefined)
              throw new GridlinkError('GL_METER_AUTH_FAILED', 'no free meter id has this secret');
            throw new GridlinkError(
              'GL_METER_UNKNOWN',
              msg.hello === 0
                ? 'no configured meter id is free'
                : `meter id ${msg.hello} is not configured`,
            );
          }
          bind(device, msg.secret);
        }
        reply({ id: (session as TcpJsonMeterDeviceConfig).meterId });
        active();
        return;
      }
      const device = byMeterId.get(msg.id);
      if (!device || (session && session !== device))
        throw new GridlinkError(
          'GL_METER_UNKNOWN',
          `meter id ${msg.id} is not this connection's meter`,
        );
      if (!session) bind(device, msg.secret);
      const ts = parseMeterTime(msg.datetime, o.listener.localTimeOffsetMinutes);
      const admission = o.onReading({
        deviceId: device.id,
        ts,
        quality: 'good',
        values: { [device.valueName]: msg.consumption },
      });
      if (!admission.ok)
        throw new GridlinkError('GL_READING_INVALID', admission.message, {
          reason: admission.reason,
        });
      counters.accepted++;
      health.accepted(device.id, now());
      active();
    };
    const tooLong = () =>
      new GridlinkError('GL_PAYLOAD_TOO_LARGE', `line longer than ${o.listener.maxBytes} bytes`);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      if (closing) return;
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0 && !closing; nl = buf.indexOf('\n')) {
        const text = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (discarding) {
          discarding = false;
          continue;
        }
        if (text.trim() === '') continue;
        try {
          if (Buffer.byteLength(text) > o.listener.maxBytes) throw tooLong();
          line(text);
        } catch (err) {
          fail(err);
        }
      }
      if (closing) return;
      if (Buffer.byteLength(buf) > o.listener.maxBytes) {
        buf = '';
        if (!discarding) fail(tooLong());
        discarding = true;
      }
    });
    socket.on('close', () => {
      served--;
      clearTimeout(idle);
      if (session && holders.get(session.meterId) === socket) {
        holders.delete(session.meterId);
        health.setOnline(session.id, false);
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
    deviceIds: () => o.devices.map((d) => d.id),
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
