/**
 * MBAP framing, pure (Modbus Messaging on TCP/IP Implementation Guide v1.0b §3.1.3).
 *
 *   bytes 0-1  transaction identifier  echoed by the server in its response
 *   bytes 2-3  protocol identifier     0 = Modbus
 *   bytes 4-5  length                  number of following bytes: unit identifier + PDU
 *   byte  6    unit identifier         the remote slave behind a gateway
 *   bytes 7-   PDU                     function code + data
 *
 * All fields are big-endian. A PDU is 1..253 bytes (Modbus Application Protocol v1.1b3 §4.1),
 * so a valid length is 2..254 and a whole ADU at most 260 bytes.
 */

export const MBAP_HEADER_BYTES = 7;
/** Unit identifier + function code: the shortest frame worth answering. */
export const MIN_MBAP_LENGTH = 2;
/** Unit identifier + a 253-byte PDU. */
export const MAX_MBAP_LENGTH = 254;

export interface MbapFrame {
  transactionId: number;
  unitId: number;
  /** Function code + data. */
  pdu: Buffer;
}

/** Why a byte stream can no longer be framed; the connection should be closed. */
export interface MbapFramingError {
  reason: 'protocol-id' | 'length';
  message: string;
}

export interface MbapPushResult {
  frames: MbapFrame[];
  /** Set once the stream is broken; every later push returns it again. */
  error?: MbapFramingError;
}

/** Encodes one ADU: MBAP header (protocol id 0) + PDU. */
export function encodeMbapFrame(frame: MbapFrame): Buffer {
  const out = Buffer.allocUnsafe(MBAP_HEADER_BYTES + frame.pdu.length);
  out.writeUInt16BE(frame.transactionId & 0xffff, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(frame.pdu.length + 1, 4);
  out[6] = frame.unitId & 0xff;
  frame.pdu.copy(out, MBAP_HEADER_BYTES);
  return out;
}

/**
 * Splits a TCP byte stream into MBAP frames: a frame may arrive in several chunks and one chunk
 * may carry several frames. A header with a protocol identifier other than 0, or a length outside
 * 2..254, breaks the stream: there is no way to find the next frame boundary, so the caller
 * closes the connection. The header is checked as soon as its first 6 bytes are in, so a bad
 * stream is refused without waiting for a body that may never come.
 */
export class MbapSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private error: MbapFramingError | undefined;

  push(chunk: Buffer): MbapPushResult {
    if (this.error) return { frames: [], error: this.error };
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: MbapFrame[] = [];
    let at = 0;
    while (this.pending.length - at >= 6) {
      const protocolId = this.pending.readUInt16BE(at + 2);
      const length = this.pending.readUInt16BE(at + 4);
      if (protocolId !== 0) {
        return this.fail(frames, 'protocol-id', `MBAP protocol identifier ${protocolId}, not 0`);
      }
      if (length < MIN_MBAP_LENGTH || length > MAX_MBAP_LENGTH) {
        return this.fail(frames, 'length', `MBAP length ${length} outside 2..254`);
      }
      const end = at + 6 + length;
      if (this.pending.length < end) break;
      frames.push({
        transactionId: this.pending.readUInt16BE(at),
        unitId: this.pending[at + 6] as number,
        // A copy: the frame must not pin (or alias) the chunk it came from.
        pdu: Buffer.from(this.pending.subarray(at + MBAP_HEADER_BYTES, end)),
      });
      at = end;
    }
    this.pending = at === 0 ? this.pending : Buffer.from(this.pending.subarray(at));
    return { frames };
  }

  /** Bytes received but not yet part of a whole frame. */
  get buffered(): number {
    return this.pending.length;
  }

  private fail(
    frames: MbapFrame[],
    reason: MbapFramingError['reason'],
    message: string,
  ): MbapPushResult {
    this.error = { reason, message };
    this.pending = Buffer.alloc(0);
    return { frames, error: this.error };
  }
}
