/**
 * The edge's KEBA UDP driver against simulated KEBA P30 stations (gridlink-sim, spawned), over
 * real UDP sockets on 127.0.0.1 with ports chosen by the OS: one edge socket, three stations on
 * three ports. The simulator's model moves only on events (tickMs one hour), so what it serves
 * stays put between commands and readings can be compared with it exactly.
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandResult, edgeTopic, isGridlinkError } from '@gridlink/shared';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge } from '../src/agent/index.js';
import type { KebaUdpDeviceConfig } from '../src/config/index.js';
import { createKebaUdpDriver, type Driver } from '../src/drivers/index.js';
import type { PolledReading } from '../src/poller/index.js';
import { startTestBroker } from '../src/uplink/testing/broker.js';
import { type RunningSimulator, startSimulator } from './helpers/simulator.js';

type Report = Record<string, number | string>;

describe('edge ↔ simulated KEBA stations over the KeContact UDP protocol', () => {
  let sim: RunningSimulator;
  let driver: Driver & { port(): number };
  const readings: PolledReading[] = [];
  const checks: Array<() => void> = [];

  /** Resolves once `cond` holds; re-checked on every reading (some station always polls). */
  const until = (cond: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = () => {
        if (!cond()) return false;
        resolve();
        return true;
      };
      if (check()) return;
      checks.push(function again() {
        if (!check()) checks.push(again);
      });
    });
  const of = (id: string) => readings.filter((r) => r.deviceId === id);
  /**
   * The first good reading of `id` from a poll that began after `seen` readings of it: the poll
   * in flight then may have read report 2 before a command, the one after it cannot have.
   */
  const nextGood = async (id: string, seen: number): Promise<PolledReading> => {
    const found = () => of(id).find((r, i) => i > seen && r.quality === 'good');
    await until(() => found() !== undefined);
    return found() as PolledReading;
  };
  const health = (id: string) => driver.devices().find((d) => d.health.deviceId === id);
  const counters = () => driver.channels()[0]?.counters ?? {};
  const truth = (id: string) => sim.control('GET', `/devices/${id}/truth`);
  const reports = async (id: string) => {
    const t = (await truth(id)) as { served: { reports: Record<string, Report> } };
    return { r2: t.served.reports['2'] as Report, r3: t.served.reports['3'] as Report };
  };

  beforeAll(async () => {
    sim = await startSimulator({
      seed: 11,
      tickMs: 3_600_000,
      control: { port: 0 },
      kebaChargers: { transport: 'udp', count: 3, vehicle: true },
    });
    const devices: KebaUdpDeviceConfig[] = sim.ready.fleet.keba.map((k) => ({
      id: k.deviceId,
      driver: 'keba-udp',
      host: k.host,
      port: k.port,
      intervalMs: 300,
      timeoutMs: 1000,
      offlineAfter: 2,
    }));
    driver = createKebaUdpDriver({
      devices,
      listener: { host: '127.0.0.1', port: 0, maxBytes: 1024, pauseMs: 100 },
      onReading: (r) => {
        readings.push(r);
        for (const c of checks.splice(0)) c();
        return { ok: true };
      },
      logger: pino({ level: 'silent' }),
    });
    await driver.start();
  });
  afterAll(async () => {
    await driver?.close();
    await sim?.stop();
  });

  it('binds one socket on the port the OS chose and polls every station through it', async () => {
    expect(driver.port()).toBeGreaterThan(0);
    expect(sim.ready.fleet.keba.map((k) => k.port)).toHaveLength(3);
    expect(new Set(sim.ready.fleet.keba.map((k) => k.port)).size).toBe(3);
    await until(() => ['keba-1', 'keba-2', 'keba-3'].every((id) => of(id).length >= 2));
    expect(driver.channels()).toHaveLength(1);
    expect(driver.channels()[0]?.channel).toBe(`udp:127.0.0.1:${driver.port()}`);
  });

  it('one reading per poll from report 2 and report 3, exactly what the station serves', async () => {
    for (const id of ['keba-1', 'keba-2', 'keba-3']) {
      const r = await nextGood(id, -1);
      const { r2, r3 } = await reports(id);
      expect(r.quality).toBe('good');
      expect(r.values).toEqual({
        status: r2.State,
        fault_code: r2.Error1,
        fault_code_2: r2.Error2,
        plug: r2.Plug,
        enabled: r2['Enable sys'],
        enabled_user: r2['Enable user'],
        current_limit: (r2['Max curr'] as number) / 1000,
        current_limit_hw: (r2['Curr HW'] as number) / 1000,
        current_limit_user: (r2['Curr user'] as number) / 1000,
        energy_limit: (r2.Setenergy as number) / 10_000,
        failsafe_current: (r2['Curr FS'] as number) / 1000,
        failsafe_timeout: r2['Tmo FS'],
        voltage_l1: r3.U1,
        voltage_l2: r3.U2,
        voltage_l3: r3.U3,
        current_l1: (r3.I1 as number) / 1000,
        current_l2: (r3.I2 as number) / 1000,
        current_l3: (r3.I3 as number) / 1000,
        power: (r3.P as number) / 1000,
        power_factor: (r3.PF as number) / 1000,
        session_energy: (r3['E pres'] as number) / 10_000,
        energy_total: (r3['E total'] as number) / 10_000,
      });
      // A station charging a vehicle at 3 × 230 V × 32 A.
      expect(r.values).toMatchObject({ status: 3, plug: 7, voltage_l1: 230, current_limit: 32 });
      expect(r.values.power).toBe(22_080);
      expect(health(id)?.health.online).toBe(true);
    }
  });

  it('a command reaches the station and the next poll shows it; broadcasts change nothing', async () => {
    await driver.command?.('keba-1', 'set_current_limit', 10);
    expect((await truth('keba-1')).station).toMatchObject({ currentUserMa: 10_000 });
    expect((await nextGood('keba-1', of('keba-1').length)).values).toMatchObject({
      current_limit: 10,
      current_limit_user: 10,
      current_l1: 10,
      power: 6900, // 3 × 230 V × 10 A
    });

    await driver.command?.('keba-1', 'stop', undefined);
    expect((await nextGood('keba-1', of('keba-1').length)).values).toMatchObject({
      status: 5,
      enabled: 0,
      current_limit: 0,
      power: 0,
    });
    // The station announced State/Enable sys/Max curr to the edge; counted, not used.
    await until(() => (counters().broadcasts ?? 0) >= 3);

    await driver.command?.('keba-1', 'start', undefined);
    await driver.command?.('keba-1', 'set_energy', 2.5);
    expect((await truth('keba-1')).station).toMatchObject({ enabled: true, energyLimit: 25_000 });
  });

  it('refusals: bounds checked before anything is sent; TCH-ERR is GL_COMMAND_REFUSED', async () => {
    const codeOf = async (p: Promise<unknown> | undefined) => {
      try {
        await p;
      } catch (err) {
        if (isGridlinkError(err)) return err.code;
        throw err;
      }
      return 'accepted';
    };
    expect(await codeOf(driver.command?.('keba-1', 'set_current_limit', 64))).toBe(
      'GL_COMMAND_INVALID',
    );
    expect(await codeOf(driver.command?.('keba-1', 'set_current_limit', undefined))).toBe(
      'GL_COMMAND_INVALID',
    );
    expect(await codeOf(driver.command?.('keba-1', 'reserve', 10))).toBe('GL_COMMAND_INVALID');
    expect(await codeOf(driver.command?.('nope', 'start', undefined))).toBe('GL_COMMAND_INVALID');
    expect((await truth('keba-1')).station).toMatchObject({ currentUserMa: 10_000 });
    // The station refuses to unlock while it charges (keba-kecontact: disable first).
    expect(await codeOf(driver.command?.('keba-2', 'unlock', undefined))).toBe(
      'GL_COMMAND_REFUSED',
    );
    expect((await truth('keba-2')).refusedCommands).toEqual({ unlock: 1 });
    expect(counters().refused).toBe(1);
  });

  it('a silent station goes offline while the others keep polling, and comes back by itself', async () => {
    await sim.control('PUT', '/devices/keba-2/fault', { mode: 'no-reply' });
    await until(() => health('keba-2')?.health.online === false);
    const others = [of('keba-1').length, of('keba-3').length];
    await until(
      () => of('keba-1').length >= others[0]! + 2 && of('keba-3').length >= others[1]! + 2,
    );
    const silent = health('keba-2');
    expect(silent?.errors.GL_DEVICE_TIMEOUT).toBeGreaterThanOrEqual(2);
    expect(silent?.health.lastError).toMatch(/^GL_DEVICE_TIMEOUT: keba-2/);
    expect(health('keba-1')?.health.online).toBe(true);
    expect(counters().timeouts).toBeGreaterThanOrEqual(2);

    await sim.control('DELETE', '/devices/keba-2/fault');
    const before = of('keba-2').length;
    await until(() => of('keba-2').length > before);
    expect(health('keba-2')?.health).toMatchObject({ online: true, consecutiveFailures: 0 });
  });

  it('garbage is counted and ignored: strangers, oversized datagrams, a station answering garbage', async () => {
    const stranger = createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.1', () => resolve()));
    const start = { ...counters() };
    stranger.send('{"ID": "2", "State": 3}', driver.port(), '127.0.0.1');
    stranger.send(Buffer.alloc(2000, 0x41), driver.port(), '127.0.0.1');
    await until(
      () =>
        counters().unknown_senders === (start.unknown_senders ?? 0) + 1 &&
        counters().too_large === (start.too_large ?? 0) + 1,
    );
    await new Promise<void>((resolve) => stranger.close(() => resolve()));

    // keba-3 answers every request with bytes that are neither TCH-OK/ERR nor JSON: nothing of
    // it becomes a reading, so it goes offline; the others are untouched.
    await sim.control('PUT', '/devices/keba-3/fault', { mode: 'garbage-reply' });
    await until(() => health('keba-3')?.health.online === false);
    expect(health('keba-3')?.errors.GL_PAYLOAD_INVALID_JSON).toBeGreaterThanOrEqual(2);
    expect(counters().malformed).toBeGreaterThanOrEqual((start.malformed ?? 0) + 2);
    expect(health('keba-1')?.health.online).toBe(true);
    await sim.control('DELETE', '/devices/keba-3/fault');
    const before = of('keba-3').length;
    await until(() => of('keba-3').length > before);
    expect(of('keba-3').at(-1)?.quality).toBe('good');
  });
});

describe('a KEBA command from the central, through MQTT and the edge agent', () => {
  it('the config builds the keba-udp driver; commands/result reports ok, or the refusal code', async () => {
    const sim = await startSimulator({
      seed: 12,
      tickMs: 3_600_000,
      control: { port: 0 },
      kebaChargers: { transport: 'udp', count: 1, vehicle: true },
    });
    const broker = await startTestBroker();
    const k = sim.ready.fleet.keba[0] as { host: string; port: number };
    const agent = await startEdge(
      {
        edgeId: 'e1',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-edge-keba-')),
        mqtt: { url: broker.url, password: 's' },
        log: { sync: false },
        keba: { host: '127.0.0.1', port: 0 },
        devices: [
          { id: 'kc1', driver: 'keba-udp', host: k.host, port: k.port, intervalMs: 60_000 },
        ],
      },
      { logger: pino({ level: 'silent' }) },
    );
    const central = await mqtt.connectAsync(broker.url, {
      clientId: 'central',
      username: 'c',
      password: 'c',
    });
    try {
      expect(agent.drivers.map((d) => d.name)).toEqual(['keba-udp']);
      const results = new Map<string, (r: CommandResult) => void>();
      central.on('message', (_t, payload) => {
        const r = JSON.parse(payload.toString()) as CommandResult;
        results.get(r.id)?.(r);
      });
      await central.subscribeAsync(edgeTopic('e1', 'commands/result'), { qos: 1 });
      await agent.commands.subscribed;
      const send = (command: Record<string, unknown>) =>
        new Promise<CommandResult>((resolve) => {
          results.set(command.id as string, resolve);
          void central.publishAsync(edgeTopic('e1', 'commands'), JSON.stringify(command), {
            qos: 1,
          });
        });

      expect(
        await send({ id: 'k1', deviceId: 'kc1', command: 'set_current_limit', value: 12 }),
      ).toMatchObject({ id: 'k1', ok: true });
      expect((await sim.control('GET', '/devices/keba-1/truth')).station).toMatchObject({
        currentUserMa: 12_000,
      });
      expect(await send({ id: 'k2', deviceId: 'kc1', command: 'unlock' })).toMatchObject({
        ok: false,
        error: { code: 'GL_COMMAND_REFUSED' },
      });
      expect(
        await send({ id: 'k3', deviceId: 'kc1', command: 'set_current_limit', value: 80 }),
      ).toMatchObject({ ok: false, error: { code: 'GL_COMMAND_INVALID' } });
    } finally {
      await central.endAsync();
      await agent.close();
      await broker.close();
      await sim.stop();
    }
  });
});
