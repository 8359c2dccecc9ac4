import { describe, expect, it } from 'vitest';
import { formatTally, fuzzEdgeListeners, TCP_LINE_CLASSES, UDP_CLASSES } from '../fuzz/index.js';

const SEED = Number(process.env.GRIDLINK_FUZZ_SEED ?? 1);

/**
 * Issue 14, fuzz target 3: the edge agent's UDP and TCP JSON push listeners (real sockets, real
 * LevelDB log, the reading gate): every datagram answered, every line answered or made a
 * reading, nothing in the log that fails `checkReading`, the well-behaved meters (with secrets)
 * served throughout.
 */
describe('fuzz: edge push listeners', () => {
  it('3,000 datagrams and connections: answered, nothing invalid logged, the good meters served', async () => {
    const r = await fuzzEdgeListeners({ seed: SEED, cases: 3000 });
    console.info(
      `fuzz edge seed ${SEED}: UDP ${formatTally(r.udp.replies)}; TCP ${formatTally(r.tcp.answers)}; log ${formatTally(r.logged)}`,
    );
    expect(r.failures.count, r.failures.format()).toBe(0);
    for (const k of UDP_CLASSES) expect([k, r.udp.classes[k] ?? 0]).not.toEqual([k, 0]);
    for (const k of TCP_LINE_CLASSES) expect([k, r.tcp.classes[k] ?? 0]).not.toEqual([k, 0]);
    // Accepted and refused, on both listeners, for each reason a meter can give.
    expect(r.udp.replies['200']).toBeGreaterThan(0);
    for (const code of [
      'GL_PAYLOAD_SCHEMA',
      'GL_PAYLOAD_INVALID_JSON',
      'GL_READING_INVALID',
      'GL_METER_AUTH_FAILED',
      'GL_PAYLOAD_TOO_LARGE',
    ]) {
      expect([code, r.udp.replies[code] ?? 0]).not.toEqual([code, 0]);
      expect([code, r.tcp.answers[code] ?? 0]).not.toEqual([code, 0]);
    }
    expect(r.tcp.answers.GL_METER_TAKEN).toBeGreaterThan(0);
    expect((r.logged['fz-udp'] ?? 0) + (r.logged['fz-tcp'] ?? 0)).toBeGreaterThan(0);
    expect(r.wellBehaved.udp).toBeGreaterThan(100);
    expect(r.wellBehaved.tcp).toBe(r.wellBehaved.udp);
  }, 120_000);
});
