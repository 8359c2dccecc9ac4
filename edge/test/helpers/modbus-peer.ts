/**
 * A tiny Modbus TCP peer for fault tests (Modbus Messaging on TCP/IP v1.0b §3.1 MBAP framing;
 * Modbus Application Protocol v1.1b3 §6.3/6.4 reads, §6.12 writes, §7 exceptions). Each unit
 * id has a behaviour that can be switched at any time; registers default to their own address.
 * It is written from the spec for these tests, independently of the edge's client.
 */
import { createServer, type Server, type Socket } from 'node:net';

export type Behaviour =
  | { kind: 'ok' }
  /** Never answers. */
  | { kind: 'timeout' }
  /** Answers with this exception code (§7). */
  | { kind: 'exception'; code: number }
  /** Answers as another unit. */
  | { kind: 'wrong-unit' }
  /** Answers with a byte count and data one register short. */
  | { kind: 'short' }
  /** Exception 02 for any read of more than one register (a device that refuses block reads). */
  | { kind: 'no-blocks' }
  /** Holds replies until `release()` or `count` requests are outstanding. */
  | { kind: 'gate'; count: number };

export interface PeerRequest {
  unitId: number;
  fn: number;
  start: number;
  count: number;
}

export class ModbusTcpPeer {
  readonly #server: Server;
  readonly #behaviour = new Map<number, Behaviour>();
  readonly #registers = new Map<number, Map<number, number>>();
  readonly #held: (() => void)[] = [];
  readonly #sockets = new Set<Socket>();
  readonly requests: PeerRequest[] = [];
  readonly writes: { unitId: number; start: number; words: number[] }[] = [];
  /** Called on every request received (tests await counts with `until`). */
  #watchers: { test: () => boolean; resolve: () => void }[] = [];
  outstanding = 0;
  maxOutstanding = 0;
  port = 0;

  constructor() {
    this.#server = createServer((socket) => this.#serve(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
    return this.port;
  }

  set(unitId: number, behaviour: Behaviour): void {
    this.#behaviour.set(unitId, behaviour);
  }

  register(unitId: number, address: number): number {
    return this.#registers.get(unitId)?.get(address) ?? address & 0xffff;
  }

  setRegister(unitId: number, address: number, value: number): void {
    const regs = this.#registers.get(unitId) ?? new Map<number, number>();
    this.#registers.set(unitId, regs);
    regs.set(address, value & 0xffff);
  }

  /** Resolves once `test` holds after some request (checked at every request). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ test, resolve }));
  }

  countFor(unitId: number): number {
    return this.requests.filter((r) => r.unitId === unitId).length;
  }

  release(): void {
    for (const send of this.#held.splice(0)) send();
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // MBAP: transaction id, protocol id, length (unit id + PDU), unit id.
      while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const len = buf.readUInt16BE(4);
        const frame = buf.subarray(0, 6 + len);
        buf = buf.subarray(6 + len);
        this.#handle(socket, frame);
      }
    });
  }

  #handle(socket: Socket, frame: Buffer): void {
    const txn = frame.readUInt16BE(0);
    const unitId = frame.readUInt8(6);
    const fn = frame.readUInt8(7);
    const start = frame.readUInt16BE(8);
    const count = frame.readUInt16BE(10);
    this.requests.push({ unitId, fn, start, count });
    const done = this.#watchers.filter((w) => w.test());
    this.#watchers = this.#watchers.filter((w) => !done.includes(w));
    for (const w of done) w.resolve();
    const behaviour = this.#behaviour.get(unitId) ?? { kind: 'ok' };
    if (behaviour.kind === 'timeout') return;
    const send = (unit: number, pdu: Buffer) => {
      const head = Buffer.alloc(7);
      head.writeUInt16BE(txn, 0);
      head.writeUInt16BE(0, 2);
      head.writeUInt16BE(pdu.length + 1, 4);
      head.writeUInt8(unit, 6);
      this.outstanding--;
      if (!socket.destroyed) socket.write(Buffer.concat([head, pdu]));
    };
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    if (behaviour.kind === 'exception' || (behaviour.kind === 'no-blocks' && count > 1)) {
      send(unitId, Buffer.from([fn | 0x80, behaviour.kind === 'exception' ? behaviour.code : 2]));
      return;
    }
    let pdu: Buffer;
    if (fn === 3 || fn === 4) {
      const n = behaviour.kind === 'short' ? count - 1 : count;
      pdu = Buffer.alloc(2 + n * 2);
      pdu.writeUInt8(fn, 0);
      pdu.writeUInt8(n * 2, 1);
      for (let i = 0; i < n; i++) pdu.writeUInt16BE(this.register(unitId, start + i), 2 + i * 2);
    } else if (fn === 16) {
      const words: number[] = [];
      for (let i = 0; i < count; i++) {
        const w = frame.readUInt16BE(13 + i * 2);
        words.push(w);
        this.setRegister(unitId, start + i, w);
      }
      this.writes.push({ unitId, start, words });
      pdu = frame.subarray(7, 12);
    } else {
      pdu = Buffer.from([fn | 0x80, 1]);
    }
    const unit = behaviour.kind === 'wrong-unit' ? (unitId + 1) & 0xff : unitId;
    if (behaviour.kind === 'gate') {
      this.#held.push(() => send(unit, pdu));
      if (this.#held.length >= behaviour.count) this.release();
      return;
    }
    send(unit, pdu);
  }
}
