import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../clock/index.js';
import { KebaUdpCharger } from './keba-udp-charger.js';
import { dutyCyclePermille, parseKebaRequest } from './keba-udp-protocol.js';

const T0 = Date.UTC(2024, 5, 3, 12, 0, 0);
const open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/** A UDP client on 127.0.0.1:0 that collects every datagram it receives, in order. */
async function client() {
  const s: Socket = createSocket('udp4');
  const got: string[] = [];
  const waiters: Array<() => void> = [];
  s.on('message', (m) => {
    got.push(m.toString('latin1'));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  open.push({ close: () => new Promise<void>((resolve) => s.close(() => resolve())) });
  return {
    got,
    send: (text: string, port: number) => s.send(text, port, '127.0.0.1'),
    /** Resolves once `n` datagrams in all have arrived. */
    async until(n: number) {
      while (got.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return got;
    },
  };
}

async function station(vehicle = true) {
  const clock = createManualClock(T0);
  const c = await KebaUdpCharger.start({
    deviceId: 'keba-1',
    clock,
    seed: 3,
    port: 0,
    vehicle,
    initialEnergyKWh: 1000,
  });
  open.push(c);
  return { c, clock };
}

describe('KEBA UDP protocol (station side)', () => {
  it('parses the guide commands and nothing else', () => {
    expect(parseKebaRequest('i')).toEqual({ kind: 'identify' });
    expect(parseKebaRequest('report 2\n')).toEqual({ kind: 'report', id: 2 });
    expect(parseKebaRequest('ena 0')).toMatchObject({ event: { type: 'enable', on: false } });
    expect(parseKebaRequest('curr 16000')).toMatchObject({ event: { type: 'current', mA: 16000 } });
    expect(parseKebaRequest('setenergy 100000')).toMatchObject({
      event: { type: 'energy-limit', value: 100000 },
    });
    expect(parseKebaRequest('unlock')).toMatchObject({ event: { type: 'unlock' } });
    expect(parseKebaRequest('display 0 0 0 0 Hello')).toEqual({ kind: 'display' });
    for (const bad of ['ena 2', 'curr -5', 'report', 'curr 16A', 'unlock now', ''])
      expect(parseKebaRequest(bad)).toEqual({ kind: 'unknown' });
  });

  it('Max curr % is the IEC 61851-1 duty cycle in 0.1 %', () => {
    expect(dutyCyclePermille(6000)).toBe(100); // 6 A / 0.6 = 10 %
    expect(dutyCyclePermille(32_000)).toBe(533);
    expect(dutyCyclePermille(63_000)).toBe(892); // 63 / 2.5 + 64 = 89.2 %
    expect(dutyCyclePermille(0)).toBe(1000);
  });
});

describe('simulated KEBA station over UDP (real sockets, port 0)', () => {
  it('answers i and reports 1-3 from its model, in the guide units', async () => {
    const { c, clock } = await station();
    clock.advance(3_600_000); // one hour at 3 × 230 V × 32 A
    c.advance(clock.now());
    const k = await client();
    for (const q of ['i', 'report 1', 'report 2', 'report 3']) k.send(q, c.port);
    const [i, r1, r2, r3] = (await k.until(4)).map((t) => t.trim());
    expect(i).toBe('"Firmware":"P30 v 3.10.16 (GridLink simulator)"');
    expect(JSON.parse(r1 as string)).toMatchObject({ ID: '1', Serial: c.serial, Sec: 3600 });
    expect(JSON.parse(r2 as string)).toMatchObject({
      ID: '2',
      State: 3,
      Plug: 7,
      'Enable sys': 1,
      'Max curr': 32_000,
      'Curr HW': 32_000,
      'Curr user': 63_000,
      Setenergy: 0,
    });
    expect(JSON.parse(r3 as string)).toMatchObject({
      ID: '3',
      U1: 230,
      U3: 230,
      I1: 32_000,
      P: 22_080_000, // mW
      PF: 1000,
      'E pres': 220_800, // 22.08 kWh in 0.1 Wh
      'E total': 10_220_800,
    });
  });

  it('commands change the station; refusals are TCH-ERR; changes are broadcast to the client', async () => {
    const { c } = await station();
    const k = await client();
    k.send('curr 10000', c.port);
    await k.until(2);
    expect(k.got).toEqual(['TCH-OK :done\n', '{"Max curr":10000}']);
    k.send('ena 0', c.port);
    await k.until(7);
    expect(k.got.slice(2)).toEqual([
      'TCH-OK :done\n',
      '{"State":5}',
      '{"Enable sys":0}',
      '{"Max curr":0}',
      '{"E pres":0}',
    ]);
    for (const bad of ['curr 5000', 'setenergy -1', 'launch']) k.send(bad, c.port);
    await k.until(10);
    expect(k.got.slice(7)).toEqual(['TCH-ERR\n', 'TCH-ERR\n', 'TCH-ERR\n']);
    expect(c.truth()).toMatchObject({
      state: 5,
      station: { enabled: false, currentUserMa: 10_000 },
      refusedCommands: { curr: 1 },
    });
  });

  it('unlock is refused while charging and accepted once disabled', async () => {
    const { c } = await station();
    const k = await client();
    k.send('unlock', c.port);
    await k.until(1);
    expect(k.got[0]).toBe('TCH-ERR\n');
    k.send('ena 0', c.port);
    k.send('unlock', c.port);
    await k.until(8);
    expect(k.got.at(-1)).toBe('{"Plug":5}');
    expect(c.plugState()).toBe(5);
  });

  it('faults: garbage-reply answers bytes that are no protocol; no-reply says nothing', async () => {
    const { c } = await station(false);
    const k = await client();
    c.setFault({ mode: 'garbage-reply' });
    k.send('report 2', c.port);
    await k.until(1);
    expect(() => JSON.parse(k.got[0] as string)).toThrow();
    expect(k.got[0]?.startsWith('TCH')).toBe(false);
    c.setFault({ mode: 'no-reply' });
    k.send('report 2', c.port);
    await c.handled(2);
    c.clearFault();
    k.send('report 3', c.port);
    await k.until(2);
    expect(JSON.parse(k.got[1] as string)).toMatchObject({ ID: '3' });
    expect(c.truth()).toMatchObject({ faultsApplied: { 'garbage-reply': 1, 'no-reply': 1 } });
  });

  it('connector-fault shows State 4 with the code in Error1; Modbus-only modes are refused', async () => {
    const { c } = await station();
    c.setFault({ mode: 'connector-fault', faultCode: 42 });
    expect(c.report(2)).toMatchObject({ State: 4, Error1: 42, 'Max curr': 0 });
    c.clearFault();
    expect(c.report(2)).toMatchObject({ State: 3, Error1: 0 });
    expect(() => c.setFault({ mode: 'bad-crc' })).toThrow(/not supported/);
  });
});
