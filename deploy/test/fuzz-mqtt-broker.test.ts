import { describe, expect, it } from 'vitest';
import {
  BYTE_MUTATIONS,
  CLIENT_PACKETS,
  formatTally,
  fuzzMqttBroker,
  SERVER_PACKETS,
} from '../fuzz/index.js';

/** The seed of the CI run; GRIDLINK_FUZZ_SEED explores others (a failure names its seed). */
const SEED = Number(process.env.GRIDLINK_FUZZ_SEED ?? 1);

/**
 * Issue 14, fuzz target 1: 100,000 MQTT packets, valid of every type and then damaged, pipelined
 * over raw TCP into the embedded aedes broker of the real gridlink-central process (PostgreSQL),
 * while a real edge uplink publishes telemetry and must get every ack (docs/SECURITY.md,
 * "Fuzzing"). `npm run fuzz -- --target mqtt` runs 1,000,000.
 */
describe('fuzz: MQTT packets against the embedded broker', () => {
  it('100,000 packets: the broker stays up and sane, the well-behaved edge is served, nothing of the fuzzer is stored', async () => {
    const r = await fuzzMqttBroker({ seed: SEED, packets: 100_000 });
    console.info(
      `fuzz mqtt seed ${SEED}: ${r.packets.written} packets (${r.packets.confirmed} confirmed handled) in ${r.cases} connections; CONNACK ${formatTally(r.connack)}; answers ${formatTally(r.answers)}; closed by ${formatTally(r.closedBy)}; log ${formatTally(r.logCodes)}; RSS ${r.memory.rssBefore} → ${r.memory.rssAfter}`,
    );
    expect(r.failures.count, r.failures.format()).toBe(0);

    // The bytes were sent, and a good share provably handled (sentinel answered).
    expect(r.packets.written).toBeGreaterThanOrEqual(100_000);
    expect(r.packets.confirmed).toBeGreaterThan(10_000);
    // Every packet type and every kind of damage was sent.
    for (const t of [...CLIENT_PACKETS, ...SERVER_PACKETS])
      expect([t, r.types[t] ?? 0]).not.toEqual([t, 0]);
    for (const m of BYTE_MUTATIONS) expect([m, r.mutations[m] ?? 0]).not.toEqual([m, 0]);
    // The broker accepted some and refused some, at every door.
    expect(r.connack['0']).toBeGreaterThan(0);
    expect(r.connack['4']).toBeGreaterThan(0); // bad user name or password
    expect(r.answers['suback:128']).toBeGreaterThan(0);
    expect(r.answers['suback:1']).toBeGreaterThan(0);
    expect(r.answers.puback).toBeGreaterThan(0);
    expect(r.answers.pingresp).toBeGreaterThan(0);
    expect(r.closedBy['session:broker']).toBeGreaterThan(0);
    for (const code of [
      'GL_MQTT_AUTH_FAILED',
      'GL_MQTT_PUBLISH_DENIED',
      'GL_MQTT_SUBSCRIBE_DENIED',
      'GL_MQTT_CLIENT_ID_DENIED',
      'GL_PAYLOAD_INVALID_JSON',
      'GL_PAYLOAD_SCHEMA',
    ])
      expect([code, r.logCodes[code] ?? 0]).not.toEqual([code, 0]);
    // The well-behaved edge: never disconnected, everything it committed stored, and only that.
    expect(r.wellBehaved.disconnects).toBe(0);
    expect(r.wellBehaved.committed).toBeGreaterThan(0);
    expect(r.storedByEdge).toEqual({ 'good-1': r.wellBehaved.committed });
    // Alive to the end, stopped cleanly, and its memory bounded.
    expect(r.exit).toEqual({ code: 0, signal: null });
    if (r.memory.rssAfter !== undefined) expect(r.memory.rssAfter).toBeLessThan(768 * 1024 * 1024);
  }, 240_000);
});
