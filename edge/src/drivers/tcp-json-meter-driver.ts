import { createServer, type Server, type Socket } from 'node:net';
import { formatZodIssues, GridlinkError, isGridlinkError, parseJsonText } from '@gridlink/shared';
import { z } from 'zod';
import type { EdgeConfig, TcpJsonMeterDeviceConfig } from '../config/index.js';
import { parseMeterTime } from './meter-time.js';
import { PushMeterHealth } from './push-meters.js';
import type { Driver, DriverContext } from './types.js';

export interface TcpJsonMeterDriverOptions extends DriverContext {
  devices: readonly TcpJsonMeterDeviceConfig[];
  listener: EdgeConfig['tcpJson'];
}

const hello = z.object({ id: z.number().int().min(0) }).strict();
const spent = z
  .object({
    id: z.number().int().min(1),
    consumption: z.number().finite().min(0),
    datetime: z.string().max(40),
    type: z.literal('/spent'),
  })
  .strict();

/** One line: `{"id":0}` (or a known id) to say hello, or a `/spent` reading. Pure. */
export function parseMeterLine(line: string): { hello: number } | z.infer<typeof spent> {
  const json = parseJsonText(line, 'line is not JSON');
  const h = hello.safeParse(json);
  if (h.success) return { hello: h.data.id };
  const r = spent.safeParse(json);
  if (r.success) return r.data;
  throw new GridlinkError('GL_PAYLOAD_SCHEMA', formatZodIssues(r.error));
}

/**
 * TCP JSON meters (SEEDS E): newline-terminated JSON. `{"id":0}` is answered `{"id":N}` with the
 * first configured meter id that has no connection; a meter that knows its id says `{"id":N}`.
 * Then each `{id, consumption, datetime, type:"/spent"}` line becomes a reading (cumulative kWh).
 * A bad line is answered `{"error":{code,message}}` and skipped; the connection stays up. A line
 * longer than `maxBytes` is discarded up to its newline. Unknown ids are rejected, never stored.
 */
export function createTcpJsonMeterDriver(
  o: TcpJsonMeterDriverOptions,
): Driver & { port(): number } {
  const byMeterId = new Map(o.devices.map((d) => [d.meterId, d]));
  const connected = new Map<number, Socket>();
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
  };
  const now = o.now ?? Date.now;
  const sockets = new Set<Socket>();
  let server: Server | undefined;

  const serve = (socket: Socket): void => {
    counters.connections++;
    sockets.add(socket);
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
      else counters.malformed++;
      if (session && e.code !== 'GL_METER_UNKNOWN') health.failed(session.id, e.code, e.message);
      reply({ error: { code: e.code, message: e.message.slice(0, 200) } });
    };
    const bind = (device: TcpJsonMeterDeviceConfig) => {
      const other = connected.get(device.meterId);
      if (other && other !== socket) other.destroy();
      connected.set(device.meterId, socket);
      session = device;
      health.setOnline(device.id, true);
    };
    const line = (text: string) => {
      counters.lines++;
      const msg = parseMeterLine(text);
      if ('hello' in msg) {
        const device =
          msg.hello === 0
            ? o.devices.find((d) => !connected.has(d.meterId))
            : byMeterId.get(msg.hello);
        if (!device)
          throw new GridlinkError(
            'GL_METER_UNKNOWN',
            msg.hello === 0
              ? 'no configured meter id is free'
              : `meter id ${msg.hello} is not configured`,
          );
        bind(device);
        reply({ id: device.meterId });
        return;
      }
      const device = byMeterId.get(msg.id);
      if (!device || (session && session !== device))
        throw new GridlinkError(
          'GL_METER_UNKNOWN',
          `meter id ${msg.id} is not this connection's meter`,
        );
      if (!session) bind(device);
      const ts = parseMeterTime(msg.datetime, o.listener.localTimeOffsetMinutes);
      o.onReading({
        deviceId: device.id,
        ts,
        quality: 'good',
        values: { [device.valueName]: msg.consumption },
      });
      counters.accepted++;
      health.accepted(device.id, now());
    };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const text = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (discarding) {
          discarding = false;
          continue;
        }
        if (text.trim() === '') continue;
        try {
          if (Buffer.byteLength(text) > o.listener.maxBytes)
            throw new GridlinkError(
              'GL_PAYLOAD_TOO_LARGE',
              `line longer than ${o.listener.maxBytes} bytes`,
            );
          line(text);
        } catch (err) {
          fail(err);
        }
      }
      if (Buffer.byteLength(buf) > o.listener.maxBytes) {
        buf = '';
        if (!discarding)
          fail(
            new GridlinkError(
              'GL_PAYLOAD_TOO_LARGE',
              `line longer than ${o.listener.maxBytes} bytes`,
            ),
          );
        discarding = true;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (session && connected.get(session.meterId) === socket) {
        connected.delete(session.meterId);
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
