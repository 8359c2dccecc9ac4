import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { createPtyPair, type PtyPair } from '../../src/serial/index.js';
import { ModbusClient } from './modbus-client.js';

/** A pty pair in a fresh temp dir plus RTU clients on its client end; one closeAll for afterEach. */
export function rtuRig() {
  const pairs: PtyPair[] = [];
  const dirs: string[] = [];
  const clients: ModbusClient[] = [];
  const raw: SerialPort[] = [];
  return {
    async pair(): Promise<PtyPair> {
      const dir = mkdtempSync(join(tmpdir(), 'gl-rtu-'));
      dirs.push(dir);
      const pair = await createPtyPair({
        devicePath: join(dir, 'device'),
        clientPath: join(dir, 'client'),
      });
      pairs.push(pair);
      return pair;
    },
    async client(path: string, baudRate: number, unitId: number, timeoutMs = 2000) {
      const client = new ModbusClient();
      clients.push(client);
      await client.connectRTUBuffered(path, { baudRate });
      client.setID(unitId);
      client.setTimeout(timeoutMs);
      return client;
    },
    /** A plain serial port on `path`, to send and see raw bytes. */
    async rawPort(path: string, baudRate: number): Promise<SerialPort> {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      raw.push(port);
      await new Promise<void>((resolve, reject) =>
        port.open((err) => (err ? reject(err) : resolve())),
      );
      return port;
    },
    async closeAll(): Promise<void> {
      for (const port of raw.splice(0)) {
        if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      }
      for (const client of clients.splice(0)) {
        if (client.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
      }
      for (const pair of pairs.splice(0)) await pair.close();
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
