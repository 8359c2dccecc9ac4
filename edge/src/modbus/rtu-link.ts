import { ModbusRTU } from './client.js';
import { ModbusLink, type ModbusLinkOptions } from './link.js';

export interface SerialLineOptions {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  /** Silence after each transaction; default 3.5 character times (see `interFrameGapMs`). */
  interFrameGapMs?: number;
}

/**
 * Modbus over Serial Line v1.02 §2.5.1.1: frames are separated by at least 3.5 character times;
 * above 19200 baud a fixed 1.75 ms is recommended. A character is 11 bits (start, 8 data,
 * parity or a second stop bit, stop).
 */
export function interFrameGapMs(baudRate: number): number {
  if (baudRate > 19_200) return 1.75;
  return (3.5 * 11 * 1000) / baudRate;
}

/** One RS-485 bus behind a serial port: one link, one transaction at a time (the bus arbiter). */
export class ModbusRtuLink extends ModbusLink {
  constructor(line: SerialLineOptions, options: Partial<ModbusLinkOptions> = {}) {
    super(
      {
        kind: 'modbus-rtu',
        key: line.path,
        gapMs: Math.ceil(line.interFrameGapMs ?? interFrameGapMs(line.baudRate)),
        concurrency: 1,
        open: (client) =>
          client.connectRTUBuffered(line.path, {
            baudRate: line.baudRate,
            dataBits: line.dataBits,
            parity: line.parity,
            stopBits: line.stopBits,
          }),
      },
      { createClient: () => new ModbusRTU(), ...options },
    );
  }
}
