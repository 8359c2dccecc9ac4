/**
 * Push meters with a shared secret (docs/SECURITY.md, "Edge listeners"), on real UDP and TCP
 * sockets against a real agent and its LevelDB log: a meter configured with one must send it
 * (UDP: in every datagram; TCP JSON: on the line that binds the connection); a wrong or missing
 * one is GL_METER_AUTH_FAILED, counted on the listener, never a reading, never the device's
 * failure; the secret never appears in the edge's logs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import {
  capturedLog,
  listenerPort,
  spent,
  type TcpMeter,
  tcpMeter,
  udpMeter,
} from './helpers/push-clients.js';

const SECRET = 'k3y-0f-meter-MED-S-2026';
const WRONG = 'k3y-0f-meter-MED-S-2025';
const OTHER = 'another-meters-secret-000';
const S0 = Math.floor(Date.now() / 1000) - 3600;
const wall = (s: number) => new Date((S0 + s) * 1000).toISOString().slice(0, 19).replace('T', ' ');

describe('push meters with a shared secret', () => {
  const log = capturedLog();
  let agent: EdgeAgent;
  let udp: Awaited<ReturnType<typeof udpMeter>>;
  const open: TcpMeter[] = [];
  const connect = async () => {
    const m = await tcpMeter(listenerPort(agent, 'tcp-json-meter'));
    open.push(m);
    return m;
  };
  const view = (id: string) => agent.devices().find((d) => d.health.deviceId === id);
  const counters = (driver: string) =>
    agent.status().channels.find((c) => c.driver === driver)?.counters ?? {};
  const stored = async (deviceId: string) => {
    await agent.flush();
    return (await agent.log.read(1, 1000)).filter((r) => r.deviceId === deviceId);
  };

  beforeAll(async () => {
    agent = await startEdge(
      {
        edgeId: 'e-secrets',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-secrets-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        // The wall times these meters send are UTC.
        timeZone: 'UTC',
        udp: { port: 0 },
        tcpJson: { port: 0 },
        devices: [
          { id: 'us', driver: 'udp-meter', meterId: 'MED-S', secret: SECRET },
          { id: 'js', driver: 'tcp-json-meter', meterId: 21, secret: SECRET },
          { id: 'jo', driver: 'tcp-json-meter', meterId: 22, secret: OTHER },
          { id: 'jn', driver: 'tcp-json-meter', meterId: 23 },
        ],
      },
      { logger: pino({ level: 'debug' }, log.stream) },
    );
    udp = await udpMeter(listenerPort(agent, 'udp-meter'));
  });
  afterAll(async () => {
    for (const m of open) m.socket.destroy();
    await udp?.close();
    await agent?.close();
  });

  it('UDP: right secret (JSON or fifth CSV field) stored; wrong or missing refused', async () => {
    const json = (value: number, secret?: string) =>
      JSON.stringify({ meterId: 'MED-S', value, timestamp: S0, ...(secret ? { secret } : {}) });
    expect(await udp.ask(json(1))).toBe('401 GL_METER_AUTH_FAILED');
    expect(await udp.ask(json(2, WRONG))).toBe('401 GL_METER_AUTH_FAILED');
    expect(await udp.ask(json(3, `${SECRET}x`))).toBe('401 GL_METER_AUTH_FAILED');
    expect(await udp.ask(`,MED-S,4,${S0 + 1}`)).toBe('401 GL_METER_AUTH_FAILED');
    expect(await udp.ask(`,MED-S,5,${S0 + 1},${WRONG}`)).toBe('401 GL_METER_AUTH_FAILED');
    // Poison with a wrong secret is refused for the secret: the sender is not the meter.
    expect(await udp.ask(`,MED-S,6,100000000000000000000,${WRONG}`)).toBe(
      '401 GL_METER_AUTH_FAILED',
    );
    expect(await udp.ask(json(7, SECRET))).toBe('200');
    expect(await udp.ask(`,MED-S,8,${S0 + 1},${SECRET}`)).toBe('200');

    expect((await stored('us')).map((r) => r.values.energy_interval)).toEqual([7, 8]);
    expect(counters('udp-meter')).toMatchObject({ auth_failed: 6, accepted: 2, malformed: 0 });
    // Strangers do not touch the meter's health.
    expect(view('us')?.health).toMatchObject({ polls: 2, failures: 0, lastError: null });
    expect(view('us')?.errors).toEqual({});
  });

  it('TCP JSON: the binding line must carry the secret; wrong or missing closes the connection', async () => {
    const refusals: Record<string, unknown>[] = [];
    for (const line of [
      '{"id":21}',
      `{"id":21,"secret":"${WRONG}"}`,
      `{"id":21,"secret":"${OTHER}"}`, // another meter's secret is not this one's
      spent(21, 1, wall(0)), // a reading without hello binds too: it needs the secret
      spent(21, 1, wall(0), `,"secret":"${WRONG}"`),
    ]) {
      const m = await connect();
      m.send(line);
      refusals.push(await m.next());
      await m.closed;
    }
    expect(refusals).toEqual(
      refusals.map(() => ({
        error: { code: 'GL_METER_AUTH_FAILED', message: expect.stringMatching(/^meter 21: /) },
      })),
    );
    expect(refusals.map((r) => (r.error as { message: string }).message)).toEqual([
      'meter 21: missing secret',
      'meter 21: wrong secret',
      'meter 21: wrong secret',
      'meter 21: missing secret',
      'meter 21: wrong secret',
    ]);

    const meter = await connect();
    meter.send(`{"id":21,"secret":"${SECRET}"}`);
    expect(await meter.next()).toEqual({ id: 21 });
    meter.send(spent(21, 10, wall(1))); // bound: later lines need not repeat it
    meter.send(spent(21, 11, wall(2), `,"secret":"${SECRET}"`));
    meter.send('{"id":21}'); // answered once the lines before it are handled
    expect(await meter.next()).toEqual({ id: 21 });
    // With the meter live, a stranger still hears only that its secret is wrong.
    const stranger = await connect();
    stranger.send(`{"id":21,"secret":"${WRONG}"}`);
    expect(await stranger.next()).toMatchObject({ error: { code: 'GL_METER_AUTH_FAILED' } });
    await stranger.closed;
    const twin = await connect();
    twin.send(`{"id":21,"secret":"${SECRET}"}`);
    expect(await twin.next()).toMatchObject({ error: { code: 'GL_METER_TAKEN' } });
    await twin.closed;

    expect((await stored('js')).map((r) => r.values.energy_import)).toEqual([10, 11]);
    expect(counters('tcp-json-meter')).toMatchObject({ auth_failed: 6, meter_taken: 1 });
    expect(view('js')?.health).toMatchObject({ failures: 0, lastError: null, online: true });
  });

  it('TCP JSON {"id":0}: a secret picks the meter it belongs to; none gets a fresh pending id, never a configured one', async () => {
    const withOther = await connect();
    withOther.send(`{"id":0,"secret":"${OTHER}"}`);
    expect(await withOther.next()).toEqual({ id: 22 });
    // Meter 23 has no secret and no host: a {"id":0} without one cannot be told from another
    // meter, so it is given a fresh id above every configured one and held pending.
    const without = await connect();
    without.send('{"id":0}');
    expect(await without.next()).toEqual({ id: 24 });
    expect(agent.status().pending?.map((p) => p.key)).toContain('tcp-json-meter:24');
    const guess = await connect();
    guess.send(`{"id":0,"secret":"${WRONG}"}`);
    expect(await guess.next()).toMatchObject({
      error: { code: 'GL_METER_AUTH_FAILED', message: 'no configured meter has this secret' },
    });
    await guess.closed;
  });

  it('no secret, right or wrong, is ever written to the log', () => {
    // The log did record the refusals (at debug), so this is not an empty log passing.
    expect(log.lines.some((l) => l.code === 'GL_METER_AUTH_FAILED')).toBe(true);
    for (const line of log.text) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(WRONG);
      expect(line).not.toContain(OTHER);
    }
  });
});
