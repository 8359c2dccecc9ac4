import ModbusSerial from 'modbus-serial';
import type { ModbusRTU as ModbusClient } from 'modbus-serial/ModbusRTU.js';

export type { ModbusClient };

/** modbus-serial is CommonJS with `export default` typings; NodeNext sees a namespace. */
export const ModbusRTU = ModbusSerial as unknown as new () => ModbusClient;
