import { seededRandom } from '@gridlink/shared';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MAX_REMAINING_LENGTH, PacketSizes } from './packet-sizes.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('PacketSizes (MQTT 3.1.1 §2.2 fixed header)', () => {
  it.each([
    // [chunk, limit, verdict]
    // PINGREQ: 0xC0 type 12, Remaining Length 0x00 → a 2-byte packet.
    [bytes(0xc0, 0x00), 2, { ok: true }],
    [bytes(0xc0, 0x00), 1, { ok: false, reason: 'too_large', declared: 0, packetBytes: 2 }],
    // CONNECT: 0x10, length 127 (0x7F, one byte) → 1 + 1 + 127 = 129 bytes.
    [bytes(0x10, 0x7f), 129, { ok: true }],
    [bytes(0x10, 0x7f), 128, { ok: false, reason: 'too_large', declared: 127, packetBytes: 129 }],
    // Length 128 = 0x80 0x01 (§2.2.3 Table 2.4: two bytes from 128).
    [bytes(0x10, 0x80, 0x01), 131, { ok: true }],
    // Length 16,383 = 0xFF 0x7F; 16,384 = 0x80 0x80 0x01.
    [bytes(0x30, 0xff, 0x7f), 16_386, { ok: true }],
    [
      bytes(0x30, 0x80, 0x80, 0x01),
      16_387,
      { ok: false, reason: 'too_large', declared: 16_384, packetBytes: 16_388 },
    ],
    // 150,000,000 = 0x80 0xA3 0xC3 0x47 (four bytes, all but the last with the continuation bit).
    [
      bytes(0x10, 0x80, 0xa3, 0xc3, 0x47),
      65_536,
      { ok: false, reason: 'too_large', declared: 150_000_000, packetBytes: 150_000_005 },
    ],
    // The largest: 0xFF 0xFF 0xFF 0x7F = 268,435,455.
    [bytes(0x30, 0xff, 0xff, 0xff, 0x7f), 2 ** 30, { ok: true }],
    [
      bytes(0x30, 0xff, 0xff, 0xff, 0x7f),
      1,
      {
        ok: false,
        reason: 'too_large',
        declared: MAX_REMAINING_LENGTH,
        packetBytes: MAX_REMAINING_LENGTH + 5,
      },
    ],
    // A fifth length byte is malformed (§2.2.3: at most four).
    [bytes(0x30, 0xff, 0xff, 0xff, 0xff, 0x01), 2 ** 30, { ok: false, reason: 'malformed_length' }],
  ])('%o with limit %d → %o', (chunk, limit, verdict) => {
    expect(new PacketSizes().feed(chunk, limit)).toEqual(verdict);
  });

  it('skips bodies by counting and checks every packet in a chunk', () => {
    const sizes = new PacketSizes();
    // PUBLISH QoS 0 of 4 remaining bytes (topic "a": 0x00 0x01 0x61, payload "x"), then a PINGREQ,
    // then a PUBLISH declaring 200 bytes: only the third is over a 100-byte limit.
    const chunk = bytes(0x30, 0x04, 0x00, 0x01, 0x61, 0x78, 0xc0, 0x00, 0x30, 0xc8, 0x01);
    expect(sizes.feed(chunk, 100)).toEqual({
      ok: false,
      reason: 'too_large',
      declared: 200,
      packetBytes: 203,
    });
  });

  it('follows headers and bodies split across chunks at every byte', () => {
    // Two real packets from mqtt-packet, fed one byte at a time, then a header split mid-length.
    const stream = Buffer.concat([
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 60,
        clientId: 'edge-a',
        username: 'a',
        password: Buffer.alloc(300, 1),
      }),
      mqttPacket.generate({
        cmd: 'publish',
        topic: 'gl/v1/edges/a/telemetry',
        payload: Buffer.alloc(20_000, 2),
        qos: 1,
        messageId: 1,
        dup: false,
        retain: false,
      }),
    ]);
    const sizes = new PacketSizes();
    for (const b of stream) expect(sizes.feed(bytes(b), 20_100)).toEqual({ ok: true });
    // Next: a header declaring 150,000,000 split as [0x10 0x80] [0xA3 0xC3] [0x47].
    expect(sizes.feed(bytes(0x10, 0x80), 20_100)).toEqual({ ok: true });
    expect(sizes.feed(bytes(0xa3, 0xc3), 20_100)).toEqual({ ok: true });
    expect(sizes.feed(bytes(0x47), 20_100)).toMatchObject({ ok: false, declared: 150_000_000 });
  });

  it('never reports a packet over the limit as fine, nor throws, on 5,000 random streams', () => {
    const random = seededRandom(14);
    const seen = new Set<string>();
    for (let n = 0; n < 5000; n++) {
      const chunk = Uint8Array.from({ length: 1 + Math.floor(random() * 64) }, () =>
        Math.floor(random() * 256),
      );
      const limit = 1 + Math.floor(random() * 200);
      const verdict = new PacketSizes().feed(chunk, limit);
      // Recompute the first packet's size by the book and compare.
      const first = firstPacket(chunk);
      if (first === 'incomplete') expect(verdict).toEqual({ ok: true });
      else if (first === 'malformed')
        expect(verdict).toEqual({ ok: false, reason: 'malformed_length' });
      else if (first.packetBytes > limit) expect(verdict).toMatchObject({ ok: false, ...first });
      seen.add(typeof first === 'string' ? first : first.packetBytes > limit ? 'over' : 'within');
    }
    // Not vacuous: the random streams reached every case.
    expect([...seen].sort()).toEqual(['incomplete', 'malformed', 'over', 'within']);
  });
});

/** The first packet's Remaining Length, decoded the way §2.2.3's pseudo-code does. */
function firstPacket(
  chunk: Uint8Array,
): 'incomplete' | 'malformed' | { declared: number; packetBytes: number } {
  let multiplier = 1;
  let value = 0;
  for (let i = 1; i < chunk.length; i++) {
    const encoded = chunk[i] as number;
    value += (encoded & 127) * multiplier;
    if ((encoded & 128) === 0) return { declared: value, packetBytes: 1 + i + value };
    if (i === 4) return 'malformed';
    multiplier *= 128;
  }
  return 'incomplete';
}
