import { GridlinkError } from '@gridlink/shared';

/** Exception codes, Modbus Application Protocol v1.1b3 §7. */
const exceptionNames: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** Maps whatever the Modbus client threw to a catalog error: the poller never sees raw errors. */
export function toModbusError(err: unknown, what: string): GridlinkError {
  const e = err as { name?: string; message?: string; modbusCode?: number; errno?: string };
  if (typeof e.modbusCode === 'number') {
    const name = exceptionNames[e.modbusCode] ?? 'unknown exception';
    return new GridlinkError(
      'GL_MODBUS_EXCEPTION',
      `${what}: exception ${e.modbusCode} (${name})`,
      { exceptionCode: e.modbusCode },
    );
  }
  const message = e.message ?? String(err);
  if (e.name === 'TransactionTimedOutError' || /timed out/i.test(message)) {
    return new GridlinkError('GL_MODBUS_TIMEOUT', `${what}: no reply in time`);
  }
  if (/CRC/i.test(message)) return new GridlinkError('GL_MODBUS_CRC', `${what}: CRC mismatch`);
  return new GridlinkError('GL_MODBUS_BAD_FRAME', `${what}: ${message}`);
}
