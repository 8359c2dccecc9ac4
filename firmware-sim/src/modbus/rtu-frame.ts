/**
 * Modbus RTU framing, pure (Modbus over Serial Line v1.02 §2.5.1 "RTU Transmission Mode").
 *
 *   byte  0     address      1..247 a slave, 0 broadcast (§2.2)
 *   bytes 1..n  PDU          function code + data (Modbus Application Protocol v1.1b3 §4.1)
 *   last 2      CRC          CRC-16/MODBUS of everything before it, low byte first (§2.5.1.2)
 *
 * The whole ADU is at most 256 bytes (§2.5.1: 1 + 253 + 2), at least 4 (address, function, CRC).
 */

export const RTU_MIN_FRAME_BYTES = 4;
export const RTU_MAX_FRAME_BYTES = 256;
/** §2.2: address 0 is the broadcast address; slaves are 1..247. */
export const RTU_BROADCAST_ADDRESS = 0;

export interface RtuFrame {
  address: number;
  /** Function code + data. */
  pdu: Buffer;
}

export type RtuDecodeResult =
  | { ok: true; frame: RtuFrame }
  | { ok: false; reason: 'length' | 'crc'; message: string };

/**
 * CRC-16/MODBUS (§6.2.2 of the serial-line spec, "CRC Generation"): preset 0xFFFF, each byte
 * XORed into the low byte, 8 shifts right, XOR with 0xA001 whenever a 1 is shifted out.
 */
export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i] as number;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    }
  }
  return crc;
}

/** Address + PDU + CRC (low byte first, §2.5.1.2). */
export function encodeRtuFrame(frame: RtuFrame): Buffer {
  const out = Buffer.allocUnsafe(frame.pdu.length + 3);
  out[0] = frame.address & 0xff;
  frame.pdu.copy(out, 1);
  out.writeUInt16LE(crc16Modbus(out, 0, out.length - 2), out.length - 2);
  return out;
}

/** Like encodeRtuFrame, but with the CRC deliberately wrong (a fault, never a normal reply). */
export function encodeRtuFrameWithBadCrc(frame: RtuFrame): Buffer {
  const out = encodeRtuFrame(frame);
  out[out.length - 1] = (out[out.length - 1] as number) ^ 0xff;
  return out;
}

/**
 * Checks one frame as delimited by the line's 3.5-character silence. A frame shorter than 4 or
 * longer than 256 bytes, or whose CRC does not match, is rejected; §2.5.1.1 says the receiver
 * discards it, and a slave does not answer it.
 */
export function decodeRtuFrame(bytes: Buffer): RtuDecodeResult {
  if (bytes.length < RTU_MIN_FRAME_BYTES || bytes.length > RTU_MAX_FRAME_BYTES) {
    return {
      ok: false,
      reason: 'length',
      message: `RTU frame of ${bytes.length} bytes, outside ${RTU_MIN_FRAME_BYTES}..${RTU_MAX_FRAME_BYTES}`,
    };
  }
  const expected = crc16Modbus(bytes, 0, bytes.length - 2);
  const got = bytes.readUInt16LE(bytes.length - 2);
  if (expected !== got) {
    return {
      ok: false,
      reason: 'crc',
      message: `RTU CRC 0x${got.toString(16).padStart(4, '0')}, expected 0x${expected.toString(16).padStart(4, '0')}`,
    };
  }
  return {
    ok: true,
    frame: { address: bytes[0] as number, pdu: Buffer.from(bytes.subarray(1, bytes.length - 2)) },
  };
}
