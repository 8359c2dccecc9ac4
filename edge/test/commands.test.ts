/**
 * Commands end to end: a real aedes broker on port 0, the edge agent, and a Modbus TCP peer
 * playing a GridLink charger. The central's side is a plain MQTT client.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandResult, edgeTopic } from '@gridlink/shared';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdge } from '../src/agent/index.js';
import { startTestBroker, type TestBroker } from '../src/uplink/testing/broker.js';
import { ModbusTcpPeer } from './helpers/modbus-peer.js';

describe('device commands from the central', () => {
  const peer = new ModbusTcpPeer();
  let broker: TestBroker;
  let agent: EdgeAgent;
  let central: MqttClient;
  const results = new Map<string, CommandResult[]>();
  const waiters = new Map<string, () => void>();

  const send = async (payload: unknown, id?: string): Promise<CommandResult> => {
    const before = id ? (results.get(id)?.length ?? 0) : 0;
    const arrived = id
      ? new Promise<void>((resolve) => {
          if ((results.get(id)?.length ?? 0) > before) resolve();
          else waiters.set(id, resolve);
        })
      : Promise.resolve();
    await central.publishAsync(
      edgeTopic('e1', 'commands'),
      typeof payload === 'string' ? payload : JSON.stringify(payload),
      { qos: 1 },
    );
    await arrived;
    return results.get(id as string)?.at(-1) as CommandResult;
  };

  beforeAll(async () => {
    await peer.listen();
    broker = await startTestBroker();
    agent = await startEdge(
      {
        edgeId: 'e1',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-cmd-')),
        mqtt: { url: broker.url, password: 's' },
        log: { sync: false },
        devices: [
          {
            id: 'ch1',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port: peer.port,
            unitId: 1,
            profile: 'gridlink-charger',
            intervalMs: 60_000,
            timeoutMs: 5000,
            retries: 0,
          },
          {
            id: 'ch2',
            driver: 'modbus-tcp',
            host: '127.0.0.1',
            port: peer.port,
            unitId: 2,
            profile: 'gridlink-charger',
            intervalMs: 60_000,
            timeoutMs: 200,
            retries: 0,
          },
        ],
      },
      { logger: pino({ level: 'silent' }) },
    );
    central = await mqtt.connectAsync(broker.url, {
      clientId: 'central',
      username: 'c',
      password: 'c',
    });
    central.on('message', (_topic, payload) => {
      const r = JSON.parse(payload.toString()) as CommandResult;
      results.set(r.id, [...(results.get(r.id) ?? []), r]);
      waiters.get(r.id)?.();
      waiters.delete(r.id);
    });
    await central.subscribeAsync(edgeTopic('e1', 'commands/result'), { qos: 1 });
    await agent.commands.subscribed;
  });

  afterAll(async () => {
    await central?.endAsync();
    await agent?.close();
    await broker?.close();
    await peer.close();
  });

  it('set_current_limit writes the scaled value with fn 16 and reports ok', async () => {
    const r = await send(
      { id: 'c1', deviceId: 'ch1', command: 'set_current_limit', value: 16 },
      'c1',
    );
    expect(r).toMatchObject({ id: 'c1', ok: true });
    // current_limit: holding register 256, uint16, 0.1 A → 160.
    expect(peer.writes.at(-1)).toEqual({ unitId: 1, start: 256, words: [160] });
  });

  it('start / stop / reserve write their profile registers', async () => {
    expect(await send({ id: 'c2', deviceId: 'ch1', command: 'start' }, 'c2')).toMatchObject({
      ok: true,
    });
    expect(peer.writes.at(-1)).toEqual({ unitId: 1, start: 257, words: [1] });
    expect(
      await send({ id: 'c3', deviceId: 'ch1', command: 'reserve', value: 30 }, 'c3'),
    ).toMatchObject({
      ok: true,
    });
    expect(peer.writes.at(-1)).toEqual({ unitId: 1, start: 258, words: [30] });
    expect(await send({ id: 'c4', deviceId: 'ch1', command: 'stop' }, 'c4')).toMatchObject({
      ok: true,
    });
    expect(peer.writes.at(-1)).toEqual({ unitId: 1, start: 257, words: [2] });
  });

  it('a redelivered command id is answered again but not executed again', async () => {
    const writes = peer.writes.length;
    const r = await send(
      { id: 'c1', deviceId: 'ch1', command: 'set_current_limit', value: 16 },
      'c1',
    );
    expect(r).toMatchObject({ id: 'c1', ok: true });
    expect(results.get('c1')).toHaveLength(2);
    expect(peer.writes.length).toBe(writes);
  });

  it('bad commands fail with a code and write nothing', async () => {
    const writes = peer.writes.length;
    const cases: [unknown, string, string][] = [
      [{ id: 'b1', deviceId: 'nope', command: 'start' }, 'b1', 'GL_COMMAND_INVALID'],
      [{ id: 'b2', deviceId: 'ch1', command: 'explode' }, 'b2', 'GL_COMMAND_INVALID'],
      [
        { id: 'b3', deviceId: 'ch1', command: 'set_current_limit', value: 40 },
        'b3',
        'GL_COMMAND_INVALID',
      ],
      [{ id: 'b4', deviceId: 'ch1', command: 'reserve' }, 'b4', 'GL_COMMAND_INVALID'],
      [{ id: 'b5', deviceId: 'ch1', command: 'start', extra: 1 }, 'b5', 'GL_PAYLOAD_SCHEMA'],
    ];
    for (const [payload, id, code] of cases) {
      const r = await send(payload, id);
      expect(r, id).toMatchObject({ id, ok: false, error: { code } });
    }
    expect(peer.writes.length).toBe(writes);
    // Not JSON, no id: nothing to answer; counted as rejected. MQTT keeps one publisher's
    // messages in order ([MQTT-4.6.0-6]), so once the next result is back it has been handled.
    const rejected = agent.commands.stats.rejected;
    await send('{not json');
    await send({ id: 'b6', deviceId: 'nope', command: 'start' }, 'b6');
    expect(agent.commands.stats.rejected).toBe(rejected + 1);
  });

  it('a device that does not answer fails the command with GL_MODBUS_TIMEOUT', async () => {
    peer.set(2, { kind: 'timeout' });
    const r = await send({ id: 't1', deviceId: 'ch2', command: 'start' }, 't1');
    expect(r).toMatchObject({ ok: false, error: { code: 'GL_MODBUS_TIMEOUT' } });
    peer.set(2, { kind: 'ok' });
    // ch1 on the same link is unaffected.
    expect(await send({ id: 't2', deviceId: 'ch1', command: 'start' }, 't2')).toMatchObject({
      ok: true,
    });
  });
});
