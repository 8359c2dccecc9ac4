import type { Rng } from './rng.js';

/** How a packet's bytes were damaged; each class must occur in a run (the suite checks). */
export const BYTE_MUTATIONS = [
  'bitFlip',
  'byteSet',
  'truncate',
  'lengthLie',
  'innerLengthLie',
  'flags',
  'concat',
  'randomBytes',
] as const;
export type ByteMutation = (typeof BYTE_MUTATIONS)[number];

/** Byte values parsers trip on: zero, sign bits, all ones, the varint continuation bit. */
const EDGE_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/**
 * MQTT remaining-length encodings (MQTT 3.1.1 §2.2.3) that lie: zero, one, the largest legal
 * value (268,435,455), a fifth continuation byte (malformed), and a non-minimal encoding.
 */
const LYING_LENGTHS: readonly Buffer[] = [
  Buffer.from([0x00]),
  Buffer.from([0x01]),
  Buffer.from([0x7f]),
  Buffer.from([0xff, 0x7f]),
  Buffer.from([0xff, 0xff, 0xff, 0x7f]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]),
  Buffer.from([0x80, 0x80, 0x80, 0x80]),
  Buffer.from([0x85, 0x00]),
];

/** The byte length of the remaining-length varint that starts at offset 1, or 0 if unreadable. */
function lengthFieldSize(packet: Buffer): number {
  for (let i = 1; i < Math.min(packet.length, 5); i++)
    if (((packet[i] as number) & 0x80) === 0) return i;
  return 0;
}

/** MQTT's variable-length integer (MQTT 3.1.1 §2.2.3). */
export function encodeRemainingLength(n: number): Buffer {
  const out: number[] = [];
  let x = n;
  do {
    let byte = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) byte |= 0x80;
    out.push(byte);
  } while (x > 0);
  return Buffer.from(out);
}

/**
 * One damaged copy of `packet` (never modified). `other` is a second packet for concatenation.
 * Pure: the same rng state gives the same bytes.
 */
export function mutateBytes(
  rng: Rng,
  packet: Buffer,
  other: Buffer,
  kind: ByteMutation = rng.pick(BYTE_MUTATIONS),
): { bytes: Buffer; kind: ByteMutation } {
  const b = Buffer.from(packet);
  switch (kind) {
    case 'bitFlip': {
      for (let n = rng.range(1, 8); n > 0 && b.length > 0; n--) {
        const i = rng.int(b.length);
        b[i] = (b[i] as number) ^ (1 << rng.int(8));
      }
      return { bytes: b, kind };
    }
    case 'byteSet': {
      for (let n = rng.range(1, 4); n > 0 && b.length > 0; n--)
        b[rng.int(b.length)] = rng.pick(EDGE_BYTES);
      return { bytes: b, kind };
    }
    case 'truncate':
      return { bytes: b.subarray(0, rng.int(Math.max(1, b.length))), kind };
    case 'lengthLie': {
      const size = lengthFieldSize(b);
      const head = b.subarray(0, 1);
      const body = b.subarray(1 + size);
      const lie = rng.chance(0.5)
        ? rng.pick(LYING_LENGTHS)
        : encodeRemainingLength(Math.max(0, body.length + rng.pick([-3, -2, -1, 1, 2, 100])));
      return { bytes: Buffer.concat([head, lie, body]), kind };
    }
    case 'innerLengthLie': {
      // A 2-byte length prefix inside the variable header or payload (topic, client id, strings).
      const start = 1 + lengthFieldSize(b);
      if (b.length < start + 2) return mutateBytes(rng, packet, other, 'lengthLie');
      const at = start + rng.int(b.length - start - 1);
      b.writeUInt16BE(rng.pick([0, 1, 0x7fff, 0xffff, rng.int(0x10000)]), at);
      return { bytes: b, kind };
    }
    case 'flags': {
      // The fixed header's low nibble: reserved bits, QoS 3, DUP/RETAIN where they do not belong.
      if (b.length > 0) b[0] = ((b[0] as number) & 0xf0) | rng.int(16);
      return { bytes: b, kind };
    }
    case 'concat': {
      // Packets run together, one cut short inside the next.
      const cut = rng.int(b.length + 1);
      return { bytes: Buffer.concat([b.subarray(0, cut), other]), kind };
    }
    case 'randomBytes': {
      const r = rng.bytes(rng.size(512));
      // Mostly a real packet type in the first byte, so the parser goes past it.
      if (r.length > 0 && rng.chance(0.8)) r[0] = rng.int(16) << 4;
      return { bytes: r, kind };
    }
  }
}
