import { ModbusRTU } from './client.js';
import { ModbusLink, type ModbusLinkOptions } from './link.js';

export interface ModbusTcpLinkOptions extends Partial<ModbusLinkOptions> {
  /**
   * Requests in flight on the connection. 1 for a gateway (its serial line is one bus); a native
   * Modbus TCP device may take more (Modbus Messaging on TCP/IP v1.0b §4.2).
   */
  maxInFlight?: number;
  connectTimeoutMs?: number;
}

/** A Modbus TCP connection: one device, or a gateway with many unit ids behind it. */
export class ModbusTcpLink extends ModbusLink {
  constructor(host: string, port: number, options: ModbusTcpLinkOptions = {}) {
    super(
      {
        kind: 'modbus-tcp',
        key: `${host}:${port}`,
        gapMs: 0,
        concurrency: options.maxInFlight ?? 1,
        open: (client) =>
          client.connectTCP(host, { port, timeout: options.connectTimeoutMs ?? 3000 }),
      },
      { createClient: () => new ModbusRTU(), ...options },
    );
  }
}
