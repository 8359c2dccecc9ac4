import { GridlinkError } from '@gridlink/shared';
import { type ModbusClient, ModbusRTU } from './client.js';
import { toModbusError } from './errors.js';
import { type Priority, TransactionQueue } from './transaction-queue.js';

export interface ReadRequest {
  unitId: number;
  fn: 1 | 2 | 3 | 4;
  start: number;
  count: number;
  timeoutMs: number;
}

/**
 * One Modbus TCP connection (a device, or a gateway with many unit ids behind it) and its
 * transaction queue. Reconnects lazily before the next transaction after a failure.
 */
export class ModbusTcpLink {
  readonly key: string;
  readonly #host: string;
  readonly #port: number;
  readonly #queue = new TransactionQueue();
  #client: ModbusClient | undefined;
  #closed = false;

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
    this.key = `${host}:${port}`;
  }

  get queueDepth(): number {
    return this.#queue.depth;
  }

  /** Reads a block and returns its registers as wire bytes (big-endian), or coils as 0/1 words. */
  read(req: ReadRequest, priority: Priority = 'poll'): Promise<Buffer> {
    return this.#queue.run(priority, async () => {
      const what = `${this.key} unit ${req.unitId} fn ${req.fn} @${req.start}+${req.count}`;
      const client = await this.#connect(what);
      client.setID(req.unitId);
      client.setTimeout(req.timeoutMs);
      try {
        if (req.fn === 3 || req.fn === 4) {
          const res =
            req.fn === 3
              ? await client.readHoldingRegisters(req.start, req.count)
              : await client.readInputRegisters(req.start, req.count);
          if (res.buffer.length !== req.count * 2) {
            throw new GridlinkError(
              'GL_MODBUS_BAD_FRAME',
              `${what}: ${res.buffer.length} bytes for ${req.count} registers`,
            );
          }
          return res.buffer;
        }
        const res =
          req.fn === 1
            ? await client.readCoils(req.start, req.count)
            : await client.readDiscreteInputs(req.start, req.count);
        const out = Buffer.alloc(req.count * 2);
        for (let i = 0; i < req.count; i++) out.writeUInt16BE(res.data[i] ? 1 : 0, i * 2);
        return out;
      } catch (err) {
        if (err instanceof GridlinkError) throw err;
        const mapped = toModbusError(err, what);
        // After a timeout the stream may still deliver the late reply: start clean.
        if (mapped.code !== 'GL_MODBUS_EXCEPTION') this.#drop();
        throw mapped;
      }
    });
  }

  /** Writes holding registers (fn 16) through the same queue, ahead of polls. */
  writeRegisters(unitId: number, start: number, words: Buffer, timeoutMs: number): Promise<void> {
    return this.#queue.run('command', async () => {
      const what = `${this.key} unit ${unitId} fn 16 @${start}`;
      const client = await this.#connect(what);
      client.setID(unitId);
      client.setTimeout(timeoutMs);
      try {
        await client.writeRegisters(start, words);
      } catch (err) {
        this.#drop();
        throw toModbusError(err, what);
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#queue.close();
    this.#drop();
  }

  async #connect(what: string): Promise<ModbusClient> {
    if (this.#closed) throw new GridlinkError('GL_MODBUS_BAD_FRAME', `${what}: link closed`);
    if (this.#client?.isOpen) return this.#client;
    this.#drop();
    const client = new ModbusRTU();
    try {
      await client.connectTCP(this.#host, { port: this.#port });
    } catch (err) {
      throw new GridlinkError(
        'GL_MODBUS_TIMEOUT',
        `${what}: cannot connect: ${(err as Error).message ?? err}`,
      );
    }
    this.#client = client;
    return client;
  }

  #drop(): void {
    const client = this.#client;
    this.#client = undefined;
    if (client?.isOpen) client.close(() => undefined);
  }
}
