import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { EdgeAgent } from '../../src/agent/index.js';

/** The bound port of one of the agent's push listeners (`udp-meter`, `tcp-json-meter`). */
export const listenerPort = (agent: EdgeAgent, driver: string): number =>
  (agent.drivers.find((d) => d.name === driver) as unknown as { port(): number }).port();

/** A UDP meter on a real socket: each datagram is answered, in order. */
export async function udpMeter(port: number) {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    /** Sends one datagram and resolves with the listener's answer. */
    ask: (text: string | Buffer): Promise<string> =>
      new Promise((resolve) => {
        socket.once('message', (m) => resolve(m.toString()));
        socket.send(text, port, '127.0.0.1');
      }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

export interface TcpMeter {
  socket: Socket;
  send(line: string): void;
  /** The next line the listener wrote (JSON-parsed). */
  next(): Promise<Record<string, unknown>>;
  /** Resolves when the listener has closed the connection. */
  closed: Promise<void>;
}

/** A TCP JSON meter on a real socket: newline-terminated lines both ways. */
export async function tcpMeter(port: number): Promise<TcpMeter> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  // readline re-emits its input's errors (a reset when the listener closes on us) on the
  // interface: without a listener there they would be uncaught.
  createInterface({ input: socket })
    .on('error', () => undefined)
    .on('line', (l) => {
      const w = waiting.shift();
      if (w) w(l);
      else queue.push(l);
    });
  return {
    socket,
    send: (line) => socket.write(`${line}\n`),
    next: () =>
      new Promise<string>((resolve) => {
        const l = queue.shift();
        if (l !== undefined) resolve(l);
        else waiting.push(resolve);
      }).then((l) => JSON.parse(l) as Record<string, unknown>),
    closed,
  };
}

/** A `/spent` line (SEEDS E). */
export const spent = (id: number, consumption: number | string, datetime: string, extra = '') =>
  `{"id":${id},"consumption":${consumption},"datetime":"${datetime}","type":"/spent"${extra}}`;

/** Everything a pino logger wrote, as parsed JSON lines (pino writes to it synchronously). */
export function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const text: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) {
        if (l === '') continue;
        text.push(l);
        lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      done();
    },
  });
  return { stream, lines, text };
}

/** One sample of a Prometheus text exposition, by name and (a subset of) its labels. */
export function metric(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const have = line.slice(name.length + 1, line.indexOf('}')).split(',');
    if (want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return Number.NaN;
}
