import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/index.js';
import {
  crc16Modbus,
  decodeRtuFrame,
  encodeRtuFrame,
  encodeRtuFrameWithBadCrc,
  RTU_MAX_FRAME_BYTES,
} from './rtu-frame.js';
import {
  characterTimeMs,
  interCharacterTimeoutMs,
  interFrameSilenceMs,
  SerialLineTimeline,
  wireTimeMs,
} from './rtu-timing.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('CRC-16/MODBUS (Modbus over Serial Line v1.02 §6.2.2)', () => {
  it.each([
    // The CRC check value of the CRC-16/MODBUS parameter set: "123456789" → 0x4B37.
    ['313233343536373839', 0x4b37],
    // 01 03 0000 000A: read 10 holding registers of slave 1 → wire bytes C5 CD.
    ['01 03 0000 000A', 0xcdc5],
    // 11 03 006B 0003: the read example of Modbus Application Protocol §6.3 on slave 17 → 76 87.
    ['11 03 006B 0003', 0x8776],
    ['', 0xffff], // preset, nothing shifted
  ])('crc(%s) = %i', (bytes, crc) => {
    expect(crc16Modbus(hex(bytes))).toBe(crc);
  });
});

describe('RTU frame codec (§2.5.1)', () => {
  it('encodes address + PDU + CRC low byte first', () => {
    expect(encodeRtuFrame({ address: 0x01, pdu: hex('03 0000 000A') })).toEqual(
      //   address fc start quantity CRC(lo hi)
      hex('01      03 0000  000A     C5 CD'),
    );
    // Response of slave 17 with three registers: 11 03 06 022B 0000 0064, CRC computed here.
    const response = encodeRtuFrame({ address: 0x11, pdu: hex('03 06 022B 0000 0064') });
    expect(response.subarray(0, 9)).toEqual(hex('11 03 06 022B 0000 0064'));
    expect(response.readUInt16LE(9)).toBe(crc16Modbus(response, 0, 9));
  });

  it('decodes a frame, and round-trips', () => {
    expect(decodeRtuFrame(hex('01 03 0000 000A C5 CD'))).toEqual({
      ok: true,
      frame: { address: 1, pdu: hex('03 0000 000A') },
    });
    const frame = { address: 247, pdu: hex('04 0048 0002') };
    expect(decodeRtuFrame(encodeRtuFrame(frame))).toEqual({ ok: true, frame });
  });

  it('rejects a bad CRC, a short frame and an oversized one', () => {
    expect(decodeRtuFrame(hex('01 03 0000 000A C5 CE'))).toMatchObject({
      ok: false,
      reason: 'crc',
    });
    expect(
      decodeRtuFrame(encodeRtuFrameWithBadCrc({ address: 1, pdu: hex('03 0000 000A') })),
    ).toMatchObject({ ok: false, reason: 'crc' });
    expect(decodeRtuFrame(hex('01 81 C1'))).toMatchObject({ ok: false, reason: 'length' });
    expect(decodeRtuFrame(Buffer.alloc(RTU_MAX_FRAME_BYTES + 1))).toMatchObject({
      ok: false,
      reason: 'length',
    });
  });

  it('never throws on random bytes, and accepts only frames whose CRC matches', () => {
    const random = createRandom(2024);
    for (let i = 0; i < 5000; i++) {
      const bytes = Buffer.from(
        Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256)),
      );
      const result = decodeRtuFrame(bytes);
      if (result.ok) {
        expect(crc16Modbus(bytes, 0, bytes.length - 2)).toBe(bytes.readUInt16LE(bytes.length - 2));
      }
    }
  });
});

describe('serial-line timing (§2.5.1, §2.5.1.1)', () => {
  it('counts 11 bits per character and 3.5 characters of silence', () => {
    expect(characterTimeMs(9600)).toBeCloseTo(1.1458, 4);
    expect(wireTimeMs(8, 9600)).toBeCloseTo(9.1667, 4);
    expect(interFrameSilenceMs(9600)).toBeCloseTo(4.0104, 4);
    expect(interCharacterTimeoutMs(9600)).toBe(1.71875);
    // Above 19200 baud the timers are fixed.
    expect(interFrameSilenceMs(115200)).toBe(1.75);
    expect(interCharacterTimeoutMs(38400)).toBe(0.75);
    expect(interFrameSilenceMs(19200)).toBeCloseTo(2.0052, 4);
  });

  it('keeps frames on a half-duplex line from overlapping, and measures utilization', () => {
    const line = new SerialLineTimeline(9600);
    const request = line.occupy(8, 100);
    expect(request.startMs).toBe(100);
    expect(request.endMs).toBeCloseTo(100 + wireTimeMs(8, 9600), 9);
    // A reply that wants to start before the request ends waits for the line.
    const reply = line.occupy(9, 105);
    expect(reply.startMs).toBe(request.endMs);
    expect(line.busyMs).toBeCloseTo(wireTimeMs(17, 9600), 9);
    expect(line.utilization(reply.endMs)).toBeCloseTo(1, 9);
    expect(line.utilization(100 + 2 * wireTimeMs(17, 9600))).toBeCloseTo(0.5, 9);
    expect(() => new SerialLineTimeline(0)).toThrow(RangeError);
  });
});
