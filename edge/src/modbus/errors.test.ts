import { describe, expect, it } from 'vitest';
import { toModbusError } from './errors.js';

describe('toModbusError', () => {
  it.each([
    [
      { modbusCode: 2, message: 'Modbus exception 2' },
      'GL_MODBUS_EXCEPTION',
      'exception 2 (illegal data address)',
    ],
    [{ modbusCode: 11 }, 'GL_MODBUS_EXCEPTION', 'gateway target device failed to respond'],
    [
      { name: 'TransactionTimedOutError', message: 'Timed out' },
      'GL_MODBUS_TIMEOUT',
      'no reply in time',
    ],
    [new Error('CRC error'), 'GL_MODBUS_CRC', 'CRC mismatch'],
    [new Error('Data length error, expected 9 got 5'), 'GL_MODBUS_BAD_FRAME', 'Data length error'],
  ])('%j -> %s', (raw, code, text) => {
    const err = toModbusError(raw, 'dev');
    expect(err.code).toBe(code);
    expect(err.message).toContain(text);
  });
});
