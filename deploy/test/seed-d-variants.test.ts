/**
 * Issue #19: seed D's datagram variants were refused (`400 GL_PAYLOAD_SCHEMA`) and meter numbers
 * restarting at 1 per customer were a config error. Simulated seed D meters (firmware-sim), one per
 * form — CSV or the seed's JSON names, `time.time()` float, integer, millisecond or local wall-clock
 * timestamps — all numbered 1, for two customers, against a real edge: every datagram is answered
 * `200` and lands on its customer's meter with the exact value and time.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EdgeAgent, startEdge } from '@gridlink/edge';
import { createManualClock, UdpMeterDevice } from '@gridlink/firmware-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CPF_A = '52998224725';
const CPF_B = '39053344705';

describe('seed D meters: every datagram form, numbers scoped by CPF', () => {
  let edge: EdgeAgent;
  const meters: UdpMeterDevice[] = [];
  // A whole second an hour ago: inside the reading window; a wall clock has no sub-seconds.
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const clock = createManualClock(t0);
  const forms = [
    ['csv', 'epoch-float', CPF_A],
    ['seed-json', 'epoch-float', CPF_B],
    ['seed-json', 'wall', CPF_A],
    ['csv', 'epoch-ms', CPF_B],
    ['csv', 'wall', CPF_B],
  ] as const;

  beforeAll(async () => {
    edge = await startEdge(
      {
        edgeId: 'e-seed-d',
        dataDir: mkdtempSync(join(tmpdir(), 'gl-seed-d-')),
        mqtt: { url: 'mqtt://127.0.0.1:1', password: 's' },
        log: { sync: false },
        // The meters' wall clock is America/Bahia's (UTC-3), the edge's default timeZone.
        udp: { port: 0 },
        devices: [
          { id: 'a-1', driver: 'udp-meter', meterId: '1', cpf: CPF_A },
          { id: 'b-1', driver: 'udp-meter', meterId: '1', cpf: CPF_B },
        ],
      },
      { logger: pino({ level: 'silent' }) },
    );
    const port = (
      edge.drivers.find((d) => d.name === 'udp-meter') as unknown as { port(): number }
    ).port();
    forms.forEach(([format, timestamp, cpf], i) => {
      meters.push(
        new UdpMeterDevice({
          deviceId: `m-${i}`,
          meterId: '1',
          cpf,
          target: { host: '127.0.0.1', port },
          clock,
          intervalMs: 1000 * (i + 1),
          rateKW: 3.6,
          format,
          timestamp,
        }),
      );
    });
  });
  afterAll(async () => {
    for (const m of meters) await m.close();
    await edge?.close();
  });

  it('each form answered 200 and stored on its customer meter, exact value and time', async () => {
    clock.advance(5000);
    for (const m of meters) m.advance(clock.now());
    await expect
      .poll(() => meters.map((m) => (m.truth() as { acked: number }).acked))
      .toEqual([5, 2, 1, 1, 1]);
    expect(meters.map((m) => (m.truth() as { otherReplies: number }).otherReplies)).toEqual([
      0, 0, 0, 0, 0,
    ]);
    await edge.flush();
    const stored = await edge.log.read(1, 100);
    // Meter i reads every (i + 1) s, 0.001 kWh per second at 3.6 kW.
    const expected = (cpf: string) =>
      forms
        .flatMap(([, , c], i) =>
          c !== cpf
            ? []
            : Array.from({ length: Math.floor(5 / (i + 1)) }, (_, k) => [
                t0 + (k + 1) * (i + 1) * 1000,
                Number((0.001 * (i + 1)).toFixed(6)),
              ]),
        )
        .sort((x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number));
    const got = (id: string) =>
      stored
        .filter((r) => r.deviceId === id)
        .map((r) => [r.ts, r.values.energy_interval])
        .sort((x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number));
    expect(got('a-1')).toEqual(expected(CPF_A));
    expect(got('b-1')).toEqual(expected(CPF_B));
    expect(stored).toHaveLength(10);
  });
});
