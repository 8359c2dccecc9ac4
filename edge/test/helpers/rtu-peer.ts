/**
 * A tiny Modbus RTU peer on one end of a pty pair, for fault tests on a real serial line
 * (Modbus over Serial Line v1.02 §2.5.1: RTU framing, CRC-16 low byte first, §6.2.2).
 * Serves fn 3/4 reads; registers hold their own address. Behaviours per unit id, switchable.
 */
import { SerialPort } from 'serialport';

export type RtuBehaviour = 'ok' | 'silent' | 'bad-crc' | 'exception' | 'wrong-unit' | 'short';

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), Serial Line v1.02 §6.2.2. */
export function crc16(buf: Buffer): number {
  let crc = 0xffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

const withCrc = (body: Buffer): Buffer => {
  const out = Buffer.alloc(body.length + 2);
  body.copy(out);
  out.writeUInt16LE(crc16(body), body.length);
  return out;
};

export class RtuPeer {
  readonly #port: SerialPort;
  readonly #behaviour = new Map<number, RtuBehaviour>();
  readonly requests: number[] = [];
  #buf = Buffer.alloc(0);

  private constructor(port: SerialPort) {
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.#data(chunk));
  }

  static async open(path: string, baudRate: number): Promise<RtuPeer> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(err) : resolve())),
    );
    return new RtuPeer(port);
  }

  set(unitId: number, behaviour: RtuBehaviour): void {
    this.#behaviour.set(unitId, behaviour);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#port.close(() => resolve()));
  }

  #data(chunk: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    // Read requests are 8 bytes: unit, fn, start (2), count (2), CRC (2).
    while (this.#buf.length >= 8) {
      const frame = this.#buf.subarray(0, 8);
      this.#buf = this.#buf.subarray(8);
      if (crc16(frame.subarray(0, 6)) !== frame.readUInt16LE(6)) {
        this.#buf = Buffer.alloc(0); // resynchronise on garbage
        return;
      }
      this.#reply(frame);
    }
  }

  #reply(frame: Buffer): void {
    const unit = frame.readUInt8(0);
    const fn = frame.readUInt8(1);
    const start = frame.readUInt16BE(2);
    const count = frame.readUInt16BE(4);
    this.requests.push(unit);
    const behaviour = this.#behaviour.get(unit) ?? 'ok';
    if (behaviour === 'silent') return;
    if (behaviour === 'exception') {
      this.#port.write(withCrc(Buffer.from([unit, fn | 0x80, 0x04])));
      return;
    }
    const n = behaviour === 'short' ? count - 1 : count;
    const body = Buffer.alloc(3 + n * 2);
    body.writeUInt8(behaviour === 'wrong-unit' ? (unit % 247) + 1 : unit, 0);
    body.writeUInt8(fn, 1);
    body.writeUInt8(n * 2, 2);
    for (let i = 0; i < n; i++) body.writeUInt16BE((start + i) & 0xffff, 3 + i * 2);
    const out = withCrc(body);
    if (behaviour === 'bad-crc') out[out.length - 1] = (out[out.length - 1] as number) ^ 0xff;
    this.#port.write(out);
  }
}
