/**
 * A bare Modbus TCP load: raw sockets, hand-framed MBAP requests (Modbus Messaging on TCP/IP
 * v1.0b §3.1.3), `depth` requests pipelined per connection (matched by transaction id, §4.2), no
 * client library — so the server, not the load, is what saturates. Each connection cycles its
 * unit ids 1..units, reading the SDM630 profile's two input-register blocks in turn.
 */
import { connect, type Socket } from 'node:net';

export interface LoadTarget {
  host: string;
  port: number;
  /** Unit ids 1..units are polled. */
  units: number;
}

export interface LoadOptions {
  /** Requests outstanding per connection. */
  depth: number;
  /** Blocks read in turn: function 4, start, count. */
  blocks: ReadonlyArray<{ start: number; count: number }>;
}

export interface Load {
  /** Normal replies (function 04 with the right byte count). */
  readonly replies: number;
  /** Exception replies or replies of the wrong size. */
  readonly bad: number;
  /** Stops sending, waits for replies in flight (≤ 2 s), closes the connections. */
  stop(): Promise<void>;
}

function request(tid: number, unit: number, start: number, count: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(tid, 0); // transaction identifier
  b.writeUInt16BE(0, 2); // protocol identifier: Modbus
  b.writeUInt16BE(6, 4); // length: unit id + PDU
  b[6] = unit;
  b[7] = 4; // read input registers (Modbus Application Protocol v1.1b3 §6.4)
  b.writeUInt16BE(start, 8);
  b.writeUInt16BE(count, 10);
  return b;
}

/** Starts the load on every target; it runs until `stop()`. */
export async function startLoad(targets: readonly LoadTarget[], o: LoadOptions): Promise<Load> {
  let replies = 0;
  let bad = 0;
  let running = true;
  const sockets: Socket[] = [];
  const inFlight: number[] = [];
  await Promise.all(
    targets.map(async (t, i) => {
      const socket = connect({ host: t.host, port: t.port, noDelay: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      socket.on('error', () => undefined);
      sockets[i] = socket;
      inFlight[i] = 0;
      let tid = 0;
      let n = 0;
      const expected = new Map<number, number>();
      const sendOne = () => {
        const block = o.blocks[n % o.blocks.length] as { start: number; count: number };
        const unit = (Math.floor(n / o.blocks.length) % t.units) + 1;
        n++;
        tid = (tid + 1) & 0xffff;
        expected.set(tid, 9 + 2 * block.count);
        inFlight[i] = (inFlight[i] as number) + 1;
        socket.write(request(tid, unit, block.start, block.count));
      };
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let off = 0;
        let sends = 0;
        while (pending.length - off >= 7) {
          const size = 6 + pending.readUInt16BE(off + 4);
          if (pending.length - off < size) break;
          const id = pending.readUInt16BE(off);
          const want = expected.get(id);
          expected.delete(id);
          if (pending[off + 7] === 4 && size === want) replies++;
          else bad++;
          inFlight[i] = (inFlight[i] as number) - 1;
          off += size;
          sends++;
        }
        pending = pending.subarray(off);
        if (running) for (let k = 0; k < sends; k++) sendOne();
      });
      for (let k = 0; k < o.depth; k++) sendOne();
    }),
  );
  return {
    get replies() {
      return replies;
    },
    get bad() {
      return bad;
    },
    async stop() {
      running = false;
      const until = performance.now() + 2000;
      while (inFlight.some((n) => n > 0) && performance.now() < until)
        await new Promise((r) => setTimeout(r, 10));
      for (const s of sockets) s.destroy();
    },
  };
}
