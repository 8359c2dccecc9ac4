import type { Logger } from 'pino';
import {
  type ModbusTcpServer,
  type RegisterBank,
  type ReplyShaper,
  startModbusTcpServer,
} from '../modbus/index.js';

/** A device a Modbus TCP port can serve: its registers and its fault hook. */
export interface ServedDevice {
  readonly bank: RegisterBank;
  readonly shapeReply: ReplyShaper;
}

export interface PortSpread {
  host: string;
  /** First port; port i of the spread is port + i (0 = a free port for each). */
  port: number;
  fallback: boolean;
  /** Devices in all; unit ids 1..perPort on each port. */
  count: number;
  perPort: number;
  logger: Logger;
}

/**
 * Spreads `count` devices over as many Modbus TCP ports as `perPort` unit ids allow (a unit id
 * is one byte; a gateway serves at most 247). `make(k, unitId, endpoint)` builds device k
 * (1-based across all ports). Each port answers only for its own unit ids, and applies the
 * device's fault hook. The servers are returned for closing and reporting.
 */
export async function serveOverPorts<D extends ServedDevice>(
  spread: PortSpread,
  make: (k: number, unitId: number, endpoint: { host: string; port: number }) => D,
): Promise<Array<{ server: ModbusTcpServer; devices: D[] }>> {
  const out: Array<{ server: ModbusTcpServer; devices: D[] }> = [];
  const ports = Math.ceil(spread.count / spread.perPort);
  try {
    await startEach();
  } catch (err) {
    // A later port failed (taken, without fallback): the ports already open must not leak.
    await Promise.all(out.map(({ server }) => server.close()));
    throw err;
  }
  return out;

  async function startEach(): Promise<void> {
    for (let p = 0; p < ports; p++) {
      const byUnit = new Map<number, D>();
      const server = await startModbusTcpServer({
        host: spread.host,
        port: spread.port === 0 ? 0 : spread.port + p,
        fallback: spread.fallback,
        resolveUnit: (unit) => byUnit.get(unit)?.bank,
        shapeReply: (request, reply) => {
          const d = byUnit.get(request.unitId);
          return d ? d.shapeReply(request, reply) : { action: 'reply', reply };
        },
        logger: spread.logger,
      });
      const count = Math.min(spread.perPort, spread.count - p * spread.perPort);
      for (let unit = 1; unit <= count; unit++) {
        byUnit.set(
          unit,
          make(p * spread.perPort + unit, unit, { host: server.host, port: server.port }),
        );
      }
      out.push({ server, devices: [...byUnit.values()] });
    }
  }
}
