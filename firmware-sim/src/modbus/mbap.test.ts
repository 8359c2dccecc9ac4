import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/index.js';
import { encodeMbapFrame, MbapSplitter } from './mbap.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Read input registers 0..9 of unit 3, transaction 0x1234 (Modbus Messaging on TCP/IP §3.1.3).
const request = hex(
  '12 34' + //  transaction identifier 0x1234
    '00 00' + // protocol identifier 0 = Modbus
    '00 06' + // length: 6 bytes follow (unit id + 5-byte PDU)
    '03' + //    unit identifier 3
    '04' + //    PDU: function 04 read input registers
    '00 00' + //      starting address 0
    '00 0A', //       quantity 10
);

// Exception 02 for the same transaction.
const exceptionReply = hex(
  '12 34' + //  transaction identifier echoed
    '00 00' + // protocol identifier 0
    '00 03' + // length: unit id + 2-byte PDU
    '03' + //    unit identifier echoed
    '84' + //    function 04 | 0x80
    '02', //     exception 02 illegal data address
);

describe('encodeMbapFrame', () => {
  it('writes the header in front of the PDU', () => {
    expect(encodeMbapFrame({ transactionId: 0x1234, unitId: 3, pdu: hex('84 02') })).toEqual(
      exceptionReply,
    );
    expect(encodeMbapFrame({ transactionId: 0x1234, unitId: 3, pdu: hex('04 0000 000A') })).toEqual(
      request,
    );
  });
});

describe('MbapSplitter', () => {
  it('decodes one whole frame', () => {
    const { frames, error } = new MbapSplitter().push(request);
    expect(error).toBeUndefined();
    expect(frames).toEqual([{ transactionId: 0x1234, unitId: 3, pdu: hex('04 0000 000A') }]);
  });

  it('reassembles a frame split across chunks, at every possible cut', () => {
    for (let cut = 1; cut < request.length; cut++) {
      const splitter = new MbapSplitter();
      expect(splitter.push(request.subarray(0, cut)).frames).toEqual([]);
      expect(splitter.buffered).toBe(cut);
      expect(splitter.push(request.subarray(cut)).frames).toHaveLength(1);
      expect(splitter.buffered).toBe(0);
    }
  });

  it('reassembles a frame delivered one byte at a time', () => {
    const splitter = new MbapSplitter();
    const frames = [...request].flatMap((b) => splitter.push(Buffer.from([b])).frames);
    expect(frames).toEqual([{ transactionId: 0x1234, unitId: 3, pdu: hex('04 0000 000A') }]);
  });

  it('yields several frames from one chunk, in order, keeping a trailing partial frame', () => {
    const second = hex('00 01 0000 0006 01 03 0064 0002'); // tx 1, unit 1, read holding 100..101
    const splitter = new MbapSplitter();
    const { frames } = splitter.push(Buffer.concat([request, second, request.subarray(0, 4)]));
    expect(frames.map((f) => [f.transactionId, f.unitId, f.pdu.toString('hex')])).toEqual([
      [0x1234, 3, '040000000a'],
      [0x0001, 1, '0300640002'],
    ]);
    expect(splitter.buffered).toBe(4);
    expect(splitter.push(request.subarray(4)).frames).toHaveLength(1);
  });

  it('copies PDUs out of the chunk', () => {
    const chunk = Buffer.from(request);
    const { frames } = new MbapSplitter().push(chunk);
    chunk.fill(0);
    expect(frames[0]!.pdu).toEqual(hex('04 0000 000A'));
  });

  it('refuses a protocol identifier other than 0, once the header is in', () => {
    const splitter = new MbapSplitter();
    const bad = hex('0001' + '0001' + '0006' + '01 04 0000 000A'); // protocol id 1
    expect(splitter.push(bad.subarray(0, 5)).error).toBeUndefined();
    expect(splitter.push(bad.subarray(5, 6)).error?.reason).toBe('protocol-id');
    // Broken for good: even a valid frame is refused now.
    expect(splitter.push(request)).toEqual({
      frames: [],
      error: expect.objectContaining({ reason: 'protocol-id' }),
    });
  });

  it.each([
    ['0 (no unit identifier)', '0000'],
    ['1 (unit identifier but no function code)', '0001'],
    ['255 (a PDU over 253 bytes)', '00FF'],
    ['65535', 'FFFF'],
  ])('refuses length %s', (_why, length) => {
    const { error } = new MbapSplitter().push(hex(`0001 0000 ${length}`));
    expect(error?.reason).toBe('length');
  });

  it('accepts the longest legal frame: length 254, a 253-byte PDU', () => {
    const pdu = Buffer.alloc(253, 0x10);
    const frame = encodeMbapFrame({ transactionId: 7, unitId: 1, pdu });
    expect(frame.readUInt16BE(4)).toBe(254);
    expect(new MbapSplitter().push(frame).frames[0]!.pdu).toEqual(pdu);
  });

  it('returns the frames before a broken header along with the error', () => {
    const { frames, error } = new MbapSplitter().push(
      Buffer.concat([request, hex('0001 0002 0006')]),
    );
    expect(frames).toHaveLength(1);
    expect(error?.reason).toBe('protocol-id');
  });

  it('round-trips random frames through random chunking', () => {
    const random = createRandom(7);
    const int = (n: number) => Math.floor(random() * n);
    const sent = Array.from({ length: 200 }, () => ({
      transactionId: int(0x10000),
      unitId: int(256),
      pdu: Buffer.from(Array.from({ length: 1 + int(253) }, () => int(256))),
    }));
    const stream = Buffer.concat(sent.map(encodeMbapFrame));
    const splitter = new MbapSplitter();
    const received = [];
    for (let at = 0; at < stream.length; ) {
      const size = 1 + int(600);
      received.push(...splitter.push(stream.subarray(at, at + size)).frames);
      at += size;
    }
    expect(received).toEqual(sent);
  });
});
