/**
 * Push meters through the whole agent into its LevelDB log: UDP datagrams (SEEDS D, CSV and
 * JSON) and TCP JSON lines (SEEDS E), on real sockets on port 0. Garbage gets a clear code,
 * unknown senders are counted and rejected, and nothing of theirs reaches the log.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { Reading } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { parseMeterLine, parseMeterTime, parseUdpDatagram } from '../src/drivers/index.js';

const port = (agent: EdgeAgent, name: string) =>
  (agent.drivers.find((d) => d.name === name) as unknown as { port(): number }).port();

/** Recent times: the log drops readings older than its age bound (30 days by default). */
const T0 = Math.floor(Date.now() / 1000) - 3600;
/** T0 + s as America/Bahia wall clock (UTC-3), the format of the original TCP meters. */
const wall = (s: number) =>
  new Date((T0 + s) * 1000 - 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

async function logged(agent: EdgeAgent): Promise<Reading[]> {
  await agent.flush();
  return agent.log.read(1, 1000);
}

describe('push meter codecs (pure)', () => {
  it('CSV and JSON datagrams; garbage fails with a code, never throws anything else', () => {
    expect(parseUdpDatagram('529.982.247-25,MED-1,1.25,1714557600')).toEqual({
      cpf: '529.982.247-25',
      meterId: 'MED-1',
      value: 1.25,
      timestamp: '1714557600',
    });
    expect(
      parseUdpDatagram('{"meterId":"MED-1","value":2,"timestamp":"2024-05-01 10:00:00"}'),
    ).toMatchObject({
      meterId: 'MED-1',
      value: 2,
    });
    const codes = [
      '',
      'a,b',
      'x,MED 1,1,2',
      'x,M,abc,1',
      '{',
      '{"meterId":"M","value":"1","timestamp":1}',
    ].map((t) => {
      try {
        parseUdpDatagram(t);
        return 'accepted';
      } catch (err) {
        return (err as { code: string }).code;
      }
    });
    expect(codes).toEqual([
      'GL_PAYLOAD_SCHEMA',
      'GL_PAYLOAD_SCHEMA',
      'GL_PAYLOAD_SCHEMA',
      'GL_PAYLOAD_SCHEMA',
      'GL_PAYLOAD_INVALID_JSON',
      'GL_PAYLOAD_SCHEMA',
    ]);
    // Random bytes: only catalog errors come out.
    let seed = 42;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: rnd() % 64 }, () => rnd() % 256));
      for (const parse of [parseUdpDatagram, parseMeterLine]) {
        try {
          parse(bytes.toString('utf8'));
        } catch (err) {
          expect((err as { code?: string }).code).toMatch(/^GL_PAYLOAD_/);
        }
      }
    }
  });

  it('meter times: epoch s/ms, ISO with zone, zone-less wall clock at the configured offset', () => {
    expect(parseMeterTime(1714557600, 0)).toBe(1714557600000);
    expect(parseMeterTime('1714557600000', 0)).toBe(1714557600000);
    expect(parseMeterTime('2024-05-01T10:00:00Z', -180)).toBe(Date.UTC(2024, 4, 1, 10));
    // America/Bahia is UTC-3: 10:00 local is 13:00 UTC.
    expect(parseMeterTime('2024-05-01 10:00:00', -180)).toBe(Date.UTC(2024, 4, 1, 13));
    for (const bad of ['2024-02-30 10:00:00', 'yesterday', '2024-05-01T10:00:00+5', -5, null])
      expect(() => parseMeterTime(bad, 0)).toThrow(
        expect.objectContaining({ code: 'GL_PAYLOAD_SCHEMA' }),
      );
  });
});

describe('UDP and TCP JSON meters through the agent into the log', () => {
  let agent: EdgeAgent;
  let udp: UdpSocket;

  beforeAll(async () => {
    agent = await startEdge(
      {
        edgeId: 'e-push',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-push-')),
        // Nothing listens there: the edge keeps its readings in the log meanwhile.
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        // The deprecated fixed offset still works (America/Bahia has had no DST since 2013).
        udp: { port: 0, localTimeOffsetMinutes: -180 },
        tcpJson: { port: 0, localTimeOffsetMinutes: -180, maxBytes: 256 },
        // Off: unknown meters are refused as before provisioning existed.
        provisioning: { enabled: false },
        devices: [
          { id: 'u1', driver: 'udp-meter', meterId: 'MED-1', cpf: '52998224725' },
          { id: 'u2', driver: 'udp-meter', meterId: 'MED-2' },
          { id: 'j1', driver: 'tcp-json-meter', meterId: 11 },
          { id: 'j2', driver: 'tcp-json-meter', meterId: 12 },
        ],
      },
      { logger: pino({ level: process.env.DEBUG_EDGE ? 'debug' : 'silent' }) },
    );
    udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    udp?.close();
    await agent?.close();
  });

  const ask = (text: string | Buffer): Promise<string> =>
    new Promise((resolve) => {
      udp.once('message', (m) => resolve(m.toString()));
      udp.send(text, port(agent, 'udp-meter'), '127.0.0.1');
    });

  it('UDP: known meters get 200 and a reading; garbage and strangers get codes and no reading', async () => {
    expect(await ask(`529.982.247-25,MED-1,1.25,${T0}`)).toBe('200');
    expect(await ask(`{"meterId":"MED-2","value":0.5,"timestamp":"${wall(1)}"}`)).toBe('200');
    expect(await ask('11111111111,MED-1,9,1714557600')).toBe('403 GL_METER_UNKNOWN'); // wrong CPF
    expect(await ask('52998224725,MED-9,9,1714557600')).toBe('403 GL_METER_UNKNOWN');
    expect(await ask('garbage')).toBe('400 GL_PAYLOAD_SCHEMA');
    expect(await ask('{"meterId":')).toBe('400 GL_PAYLOAD_INVALID_JSON');
    expect(await ask('52998224725,MED-1,1,tomorrow')).toBe('400 GL_PAYLOAD_SCHEMA');
    expect(await ask(Buffer.alloc(2000, 0x41))).toBe('413 GL_PAYLOAD_TOO_LARGE');

    const readings = (await logged(agent)).filter((r) => r.deviceId.startsWith('u'));
    expect(readings.map((r) => [r.deviceId, r.ts, r.values])).toEqual([
      ['u1', T0 * 1000, { energy_interval: 1.25 }],
      ['u2', (T0 + 1) * 1000, { energy_interval: 0.5 }],
    ]);
    const ch = agent.status().channels.find((c) => c.driver === 'udp-meter');
    expect(ch?.counters).toEqual({
      datagrams: 8,
      accepted: 2,
      malformed: 3,
      unknown_senders: 2,
      too_large: 1,
      auth_failed: 0,
      invalid_readings: 0,
      pending_readings: 0,
      pending_full: 0,
    });
    const u1 = agent.devices().find((d) => d.health.deviceId === 'u1');
    expect(u1?.health).toMatchObject({ polls: 1, failures: 1, online: true });
    expect(u1?.errors).toEqual({ GL_PAYLOAD_SCHEMA: 1 });
  });

  it('TCP JSON: {"id":N} binds, /spent lines become readings, bad lines get error lines', async () => {
    const open = async (): Promise<{
      s: Socket;
      lines: Interface;
      next: () => Promise<string>;
    }> => {
      const s = connect(port(agent, 'tcp-json-meter'), '127.0.0.1');
      await new Promise<void>((resolve) => s.once('connect', resolve));
      const lines = createInterface({ input: s });
      const queue: string[] = [];
      const waiting: ((l: string) => void)[] = [];
      lines.on('line', (l) => {
        const w = waiting.shift();
        if (w) w(l);
        else queue.push(l);
      });
      const next = () =>
        new Promise<string>((resolve) => {
          const l = queue.shift();
          if (l !== undefined) resolve(l);
          else waiting.push(resolve);
        });
      return { s, lines, next };
    };
    const a = await open();
    a.s.write('{"id":11}\n');
    expect(JSON.parse(await a.next())).toEqual({ id: 11 });
    const b = await open();
    b.s.write('{"id":12}\n');
    expect(JSON.parse(await b.next())).toEqual({ id: 12 });
    // Provisioning off: {"id":0} that no configured meter unambiguously is, is refused.
    const c = await open();
    c.s.write('{"id":0}\n{"id":99}\n');
    expect(JSON.parse(await c.next())).toMatchObject({ error: { code: 'GL_METER_UNKNOWN' } });
    expect(JSON.parse(await c.next())).toMatchObject({ error: { code: 'GL_METER_UNKNOWN' } });

    a.s.write(`{"id":11,"consumption":10.5,"datetime":"${wall(0)}","type":"/spent"}\n`);
    a.s.write('{"id":11,"consumption":"lots"}\nnot json\n');
    a.s.write(`{"x":"${'x'.repeat(300)}"}\n`);
    a.s.write(`{"id":12,"consumption":1,"datetime":"${wall(1)}","type":"/spent"}\n`);
    a.s.write(`{"id":11,"consumption":10.75,"datetime":"${wall(1)}","type":"/spent"}\n{"id":0}\n`);
    expect(JSON.parse(await a.next())).toMatchObject({ error: { code: 'GL_PAYLOAD_SCHEMA' } });
    expect(JSON.parse(await a.next())).toMatchObject({
      error: { code: 'GL_PAYLOAD_INVALID_JSON' },
    });
    expect(JSON.parse(await a.next())).toMatchObject({ error: { code: 'GL_PAYLOAD_TOO_LARGE' } });
    // Another meter's id on this connection is not accepted.
    expect(JSON.parse(await a.next())).toMatchObject({ error: { code: 'GL_METER_UNKNOWN' } });
    // The connection survived all of it: the last line is answered too (it is meter 11).
    expect(JSON.parse(await a.next())).toMatchObject({ error: { code: 'GL_METER_UNKNOWN' } });

    const readings = (await logged(agent)).filter((r) => r.deviceId.startsWith('j'));
    expect(readings.map((r) => [r.deviceId, r.ts, r.values])).toEqual([
      ['j1', T0 * 1000, { energy_import: 10.5 }],
      ['j1', (T0 + 1) * 1000, { energy_import: 10.75 }],
    ]);
    const ch = agent.status().channels.find((x) => x.driver === 'tcp-json-meter');
    expect(ch?.counters).toMatchObject({
      connections: 3,
      accepted: 2,
      unknown_senders: 4,
      malformed: 2,
      too_large: 1,
    });
    for (const x of [a, b, c]) x.s.destroy();
  });
});
