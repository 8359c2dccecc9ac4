/**
 * The TCP JSON meter listener under hostile connections (docs/SECURITY.md, "Edge listeners"), on
 * real sockets on port 0 against a real agent and its LevelDB log: a meter id live on one
 * connection cannot be taken by another, connections are bounded, and an idle connection is
 * closed and frees its meter id. The live meter keeps delivering through all of it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import type { EdgeConfigInput } from '../src/config/index.js';
import { listenerPort, spent, type TcpMeter, tcpMeter } from './helpers/push-clients.js';

const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const wall = (s: number) => new Date(T0 + s * 1000).toISOString().slice(0, 19).replace('T', ' ');

const start = (edgeId: string, tcpJson: EdgeConfigInput['tcpJson']) =>
  startEdge(
    {
      edgeId,
      dataDir: mkdtempSync(join(tmpdir(), `gl-${edgeId}-`)),
      mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
      log: { sync: false },
      // The wall times these meters send are UTC.
      timeZone: 'UTC',
      tcpJson: { port: 0, ...tcpJson },
      devices: [
        { id: 'j1', driver: 'tcp-json-meter', meterId: 11 },
        { id: 'j2', driver: 'tcp-json-meter', meterId: 12 },
      ],
    },
    { logger: pino({ level: 'silent' }) },
  );

const counters = (agent: EdgeAgent) =>
  agent.status().channels.find((c) => c.driver === 'tcp-json-meter')?.counters ?? {};
const online = (agent: EdgeAgent, id: string) =>
  agent.devices().find((d) => d.health.deviceId === id)?.health.online;
const stored = async (agent: EdgeAgent, deviceId: string) => {
  await agent.flush();
  return (await agent.log.read(1, 1000))
    .filter((r) => r.deviceId === deviceId)
    .map((r) => r.values.energy_import);
};

describe('TCP JSON listener: takeover and connection limit', () => {
  let agent: EdgeAgent;
  const open: TcpMeter[] = [];
  const connect = async () => {
    const m = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    open.push(m);
    return m;
  };

  beforeAll(async () => {
    agent = await start('e-takeover', { maxConnections: 3 });
  });
  afterAll(async () => {
    for (const m of open) m.socket.destroy();
    await agent?.close();
  });

  it('a live meter id cannot be taken: the newcomer gets GL_METER_TAKEN and is closed', async () => {
    const live = await connect();
    live.send('{"id":11}');
    expect(await live.next()).toEqual({ id: 11 });
    live.send(spent(11, 1, wall(0)));

    // By hello…
    const thief = await connect();
    thief.send('{"id":11}');
    expect(await thief.next()).toMatchObject({
      error: { code: 'GL_METER_TAKEN', message: 'meter id 11 is live on another connection' },
    });
    await thief.closed;
    // …or by a reading without hello.
    const thief2 = await connect();
    thief2.send(spent(11, 999, wall(1)));
    expect(await thief2.next()).toMatchObject({ error: { code: 'GL_METER_TAKEN' } });
    await thief2.closed;

    // The live meter was never disturbed and keeps delivering.
    live.send(spent(11, 2, wall(2)));
    live.send('{"id":11}');
    expect(await live.next()).toEqual({ id: 11 });
    expect(await stored(agent, 'j1')).toEqual([1, 2]);
    expect(counters(agent)).toMatchObject({ meter_taken: 2, accepted: 2 });

    // A connection is one meter for its life: it cannot pick up a second id either.
    live.send('{"id":12}');
    expect(await live.next()).toMatchObject({
      error: { code: 'GL_METER_UNKNOWN', message: 'this connection is meter 11' },
    });
    expect(online(agent, 'j2')).toBe(false);

    // Once the live meter goes away its id is free again.
    live.socket.destroy();
    await expect.poll(() => online(agent, 'j1')).toBe(false);
    const next = await connect();
    next.send('{"id":11}');
    expect(await next.next()).toEqual({ id: 11 });
    next.socket.destroy();
    await expect.poll(() => online(agent, 'j1')).toBe(false);
  });

  it('past maxConnections a newcomer is told GL_CONNECTION_LIMIT and closed; the others are served', async () => {
    const a = await connect();
    a.send('{"id":11}');
    expect(await a.next()).toEqual({ id: 11 });
    const b = await connect();
    b.send('{"id":12}');
    expect(await b.next()).toEqual({ id: 12 });
    const idle = await connect(); // holds the third place without saying anything
    const before = counters(agent).connection_limit ?? 0;

    const refused = await connect();
    expect(await refused.next()).toMatchObject({
      error: {
        code: 'GL_CONNECTION_LIMIT',
        message: 'the listener holds its maximum of 3 connections',
      },
    });
    await refused.closed;
    expect(counters(agent).connection_limit).toBe(before + 1);

    // Everyone inside is still served.
    a.send(spent(11, 3, wall(3)));
    a.send('{"id":11}'); // answered once the reading before it is handled
    expect(await a.next()).toEqual({ id: 11 });
    // {"id":0} that no configured meter unambiguously is: a fresh id, pending (never 11 or 12).
    idle.send('{"id":0}');
    expect(await idle.next()).toEqual({ id: 13 });
    // A place freed is a place taken.
    b.socket.destroy();
    await expect.poll(() => online(agent, 'j2')).toBe(false);
    const c = await connect();
    c.send('{"id":12}');
    expect(await c.next()).toEqual({ id: 12 });
    expect(await stored(agent, 'j1')).toEqual([1, 2, 3]);
  });
});

describe('TCP JSON listener: idle timeout', () => {
  let agent: EdgeAgent;

  beforeAll(async () => {
    agent = await start('e-idle', { idleTimeoutMs: 200 });
  });
  afterAll(async () => {
    await agent?.close();
  });

  it('a meter that goes quiet is closed and its id is free', async () => {
    const quiet = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    quiet.send('{"id":11}');
    expect(await quiet.next()).toEqual({ id: 11 });
    await quiet.closed;
    await expect.poll(() => online(agent, 'j1')).toBe(false);
    expect(counters(agent).idle_closed).toBe(1);

    const back = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    back.send('{"id":11}');
    expect(await back.next()).toEqual({ id: 11 });
    back.send(spent(11, 7, wall(0)));
    back.send('{"id":11}');
    expect(await back.next()).toEqual({ id: 11 });
    await back.closed;
    expect(await stored(agent, 'j1')).toEqual([7]);
    expect(counters(agent).idle_closed).toBe(2);
  });

  it('a connection that never says hello is closed too', async () => {
    const silent = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    await silent.closed;
    expect(counters(agent).idle_closed).toBe(3);
  });

  it('garbage is not activity: a connection sending nothing else is closed all the same', async () => {
    const noisy = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    noisy.send('{"id":12}');
    expect(await noisy.next()).toEqual({ id: 12 });
    let closed = false;
    void noisy.closed.then(() => {
      closed = true;
    });
    // Line after line, each answered; were an answered error activity, this would never end.
    let answered = 0;
    while (!closed) {
      noisy.send('{"id":12,"consumption":"lots"}');
      const reply = await Promise.race([noisy.next(), noisy.closed]);
      if (reply) {
        expect(reply).toMatchObject({ error: { code: 'GL_PAYLOAD_SCHEMA' } });
        answered++;
      }
    }
    expect(answered).toBeGreaterThan(0);
    expect(counters(agent).idle_closed).toBe(4);
  });
});
