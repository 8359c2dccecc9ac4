import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { modbusClients } from '../../test/helpers/modbus-client.js';
import { encodeMbapFrame, MbapSplitter } from './mbap.js';
import { MemoryRegisterBank } from './memory-register-bank.js';
import { type ModbusTcpServer, startModbusTcpServer } from './tcp-server.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function twoUnits() {
  const one = new MemoryRegisterBank({ size: 100 });
  const two = new MemoryRegisterBank({ size: 100 });
  one.inputRegisters.set([11, 12, 13], 0);
  two.inputRegisters.set([21, 22, 23], 0);
  const units = new Map([
    [1, one],
    [2, two],
  ]);
  return { one, two, resolveUnit: (id: number) => units.get(id) };
}

let server: ModbusTcpServer | undefined;
const clients = modbusClients();
const sockets: Socket[] = [];

afterEach(async () => {
  await clients.closeAll();
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

const client = (port: number, unit: number) => clients.connect(port, unit);

/** A raw TCP connection that collects MBAP frames as they arrive. */
async function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await once(socket, 'connect');
  const splitter = new MbapSplitter();
  const frames: ReturnType<MbapSplitter['push']>['frames'] = [];
  const waiting: Array<{ n: number; resolve: () => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    frames.push(...splitter.push(chunk).frames);
    for (const w of waiting.filter((w) => frames.length >= w.n)) w.resolve();
  });
  return {
    socket,
    frames,
    /** Resolves once `n` frames have arrived in total. */
    received: (n: number) =>
      frames.length >= n
        ? Promise.resolve(frames)
        : new Promise<typeof frames>((resolve) =>
            waiting.push({ n, resolve: () => resolve(frames) }),
          ),
  };
}

describe('startModbusTcpServer', () => {
  it('serves several unit ids behind one port (read with the modbus-serial client)', async () => {
    const { resolveUnit } = twoUnits();
    server = await startModbusTcpServer({ port: 0, resolveUnit });
    expect(server.port).toBeGreaterThan(0);
    expect(server.host).toBe('127.0.0.1');
    const c1 = await client(server.port, 1);
    expect((await c1.readInputRegisters(0, 3)).data).toEqual([11, 12, 13]);
    c1.setID(2);
    expect((await c1.readInputRegisters(0, 3)).data).toEqual([21, 22, 23]);
  });

  it('writes reach the bank of the addressed unit only', async () => {
    const { one, two, resolveUnit } = twoUnits();
    server = await startModbusTcpServer({ port: 0, resolveUnit });
    const c = await client(server.port, 2);
    await c.writeRegisters(10, [7, 8]);
    await c.writeCoil(5, true);
    expect(Array.from(two.holdingRegisters.subarray(10, 12))).toEqual([7, 8]);
    expect(two.coils[5]).toBe(1);
    expect(one.holdingRegisters[10]).toBe(0);
    expect((await c.readHoldingRegisters(10, 2)).data).toEqual([7, 8]);
    expect((await c.readCoils(5, 1)).data[0]).toBe(true);
  });

  it('an exception reply surfaces in the client as an error with modbusCode', async () => {
    const { resolveUnit } = twoUnits();
    server = await startModbusTcpServer({ port: 0, resolveUnit });
    const c = await client(server.port, 1);
    // Registers 99..100: the bank serves 0..99, so exception 02 illegal data address (§7).
    await expect(c.readInputRegisters(99, 2)).rejects.toMatchObject({ modbusCode: 2 });
  });

  it('an unknown unit id is answered with exception 0x0B, gateway target failed to respond', async () => {
    const { resolveUnit } = twoUnits();
    server = await startModbusTcpServer({ port: 0, resolveUnit });
    const c = await client(server.port, 9);
    await expect(c.readInputRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 0x0b });
  });

  it('answers pipelined requests in order, echoing transaction and unit ids', async () => {
    const { resolveUnit } = twoUnits();
    server = await startModbusTcpServer({ port: 0, resolveUnit });
    const conn = await rawConnection(server.port);
    const requests = [
      { transactionId: 1, unitId: 2, pdu: hex('04 0000 0001') },
      { transactionId: 2, unitId: 1, pdu: hex('04 0001 0001') },
      { transactionId: 3, unitId: 7, pdu: hex('04 0000 0001') },
      { transactionId: 4, unitId: 1, pdu: hex('2B 0E 01 00') },
    ];
    // All four in one write, the last one split off into a second write.
    const stream = Buffer.concat(requests.map(encodeMbapFrame));
    conn.socket.write(stream.subarray(0, stream.length - 3));
    conn.socket.write(stream.subarray(stream.length - 3));
    const frames = await conn.received(4);
    expect(frames.map((f) => [f.transactionId, f.unitId, f.pdu.toString('hex')])).toEqual([
      [1, 2, '04020015'], // register 0 of unit 2 = 21
      [2, 1, '0402000c'], // register 1 of unit 1 = 12
      [3, 7, '840b'], // no unit 7 behind this gateway
      [4, 1, 'ab01'], // function 43 is not served: illegal function
    ]);
  });

  it('closes a connection whose MBAP protocol identifier is not 0', async () => {
    const { resolveUnit } = twoUnits();
    server = await startModbusTcpServer({ port: 0, resolveUnit });
    const conn = await rawConnection(server.port);
    const closed = once(conn.socket, 'close');
    conn.socket.write(hex('0001 0001 0006 01 04 0000 0001'));
    await closed;
    expect(conn.frames).toEqual([]);
  });

  it('closes a connection announcing an absurd length', async () => {
    const { resolveUnit } = twoUnits();
    server = await startModbusTcpServer({ port: 0, resolveUnit });
    const conn = await rawConnection(server.port);
    const closed = once(conn.socket, 'close');
    conn.socket.write(hex('0001 0000 4000 01')); // 16384 bytes announced
    await closed;
  });

  it('close() destroys open connections and stops listening', async () => {
    const { resolveUnit } = twoUnits();
    const s = await startModbusTcpServer({ port: 0, resolveUnit });
    const conn = await rawConnection(s.port);
    const closed = once(conn.socket, 'close');
    await s.close();
    await closed;
    await s.close(); // idempotent
    const refused = connect(s.port, '127.0.0.1');
    sockets.push(refused);
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('fails with GL_PORT_IN_USE on a taken port, or moves when fallback is set', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const { resolveUnit } = twoUnits();
      await expect(startModbusTcpServer({ port: taken, resolveUnit })).rejects.toMatchObject({
        code: 'GL_PORT_IN_USE',
      });
      server = await startModbusTcpServer({ port: taken, fallback: true, resolveUnit });
      expect(server.movedFrom).toBe(taken);
      expect(server.port).not.toBe(taken);
      const c = await client(server.port, 1);
      expect((await c.readInputRegisters(0, 1)).data).toEqual([11]);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});
