/**
 * Issue #19: "Seed E meters that restart swap identities". Two simulated original seed E meters
 * (firmware-sim, `{"id":0}` on every connection, counting from 0 after a power cycle) against a
 * real edge whose file configures two TCP JSON meters without a secret or host, as the demo once
 * did. The old listener gave `{"id":0}` the first free configured id, so restarting the meters in
 * the other order swapped them. Now neither ever takes a configured id (the identity rule,
 * docs/PROVISIONING.md): each is a pending meter under its own fresh id, holding only its own
 * readings.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { createManualClock, TcpJsonMeterDevice } from '@gridlink/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('seed E meters restarted in the other order never swap identities', () => {
  let edge: EdgeAgent;
  const meters: TcpJsonMeterDevice[] = [];
  // The meters' clock: an hour ago, so their wall-clock times are inside the reading window.
  const clock = createManualClock(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000);

  beforeAll(async () => {
    edge = await startEdge(
      {
        edgeId: 'e-seed-e',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-seed-e-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        tcpJson: { port: 0 },
        devices: [
          { id: 'customer-a-meter', driver: 'tcp-json-meter', meterId: 11 },
          { id: 'customer-b-meter', driver: 'tcp-json-meter', meterId: 12 },
        ],
      },
      { logger: pino({ level: 'silent' }) },
    );
    const port = (
      edge.drivers.find((d) => d.name === 'tcp-json-meter') as unknown as { port(): number }
    ).port();
    for (const [name, rateKW] of [
      ['meter-a', 36],
      ['meter-b', 72],
    ] as const) {
      const m = new TcpJsonMeterDevice({
        deviceId: name,
        target: { host: '127.0.0.1', port },
        clock,
        rateKW,
        initialKWh: name === 'meter-a' ? 1000 : 5000,
      });
      meters.push(m);
    }
  });
  afterAll(async () => {
    for (const m of meters) await m.close();
    await edge?.close();
  });

  /** One reading from each connected meter; resolves when the edge holds them. */
  const tick = async (expected: number) => {
    clock.advance(1000);
    for (const m of meters) m.advance(clock.now());
    await expect
      .poll(() => (edge.status().pending ?? []).reduce((s, p) => s + p.buffered, 0))
      .toBe(expected);
  };

  it('first start: each meter is pending under a fresh id, never a configured one', async () => {
    const [a, b] = meters as [TcpJsonMeterDevice, TcpJsonMeterDevice];
    a.advance(clock.now());
    expect(await a.ready()).toBe(13);
    b.advance(clock.now());
    expect(await b.ready()).toBe(14);
    await tick(2);
    await tick(4);
  });

  it('restarted B first, then A: new fresh ids; no reading ever reaches the configured meters', async () => {
    const [a, b] = meters as [TcpJsonMeterDevice, TcpJsonMeterDevice];
    b.restart();
    expect(await b.ready()).toBe(15);
    a.restart();
    expect(await a.ready()).toBe(16);
    await tick(6);

    const pending = edge.status().pending ?? [];
    const byKey = Object.fromEntries(pending.map((p) => [p.key, p.buffered]));
    expect(byKey).toEqual({
      'tcp-json-meter:13': 2, // A before its restart
      'tcp-json-meter:14': 2, // B before its restart
      'tcp-json-meter:15': 1, // B after
      'tcp-json-meter:16': 1, // A after
    });
    // Each id's readings are one meter's: A's register starts at 1000 kWh, B's at 5000, and after
    // the power cycle each counts from 0 at its own rate (A 0.01 kWh/s, B 0.02 kWh/s).
    expect((a.truth().lastSent as { id: number; consumption: number }).id).toBe(16);
    expect((a.truth().lastSent as { consumption: number }).consumption).toBeCloseTo(0.01, 6);
    expect((b.truth().lastSent as { id: number }).id).toBe(15);
    expect((b.truth().lastSent as { consumption: number }).consumption).toBeCloseTo(0.02, 6);
    await edge.flush();
    expect(edge.log.stats().lastSeq).toBe(0);
    expect(
      (edge.status().devices ?? []).map((d) => [d.deviceId, d.polls, d.online]).sort(),
    ).toEqual([
      ['customer-a-meter', 0, false],
      ['customer-b-meter', 0, false],
    ]);
  });
});
