/**
 * What a simulated device exposes to the Modbus PDU server: the four data tables of the Modbus
 * data model (Modbus Application Protocol v1.1b3 §4.3) addressed 0..65535 (§4.4).
 *
 * Reads return exactly `count` items. A method throws `ModbusException` to answer with an
 * exception code (typically 02 for an address it does not serve); any other throw becomes 04.
 * Methods are synchronous: the codec stays pure, and timing faults belong to the transport.
 */
export interface RegisterBank {
  /** Coils, read by function 01. */
  readCoils(address: number, count: number): ArrayLike<boolean>;
  /** Discrete inputs, read by function 02. */
  readDiscreteInputs(address: number, count: number): ArrayLike<boolean>;
  /** Holding registers (uint16 each), read by function 03. */
  readHoldingRegisters(address: number, count: number): ArrayLike<number>;
  /** Input registers (uint16 each), read by function 04. */
  readInputRegisters(address: number, count: number): ArrayLike<number>;
  /** Function 05. */
  writeSingleCoil(address: number, value: boolean): void;
  /** Function 06. */
  writeSingleRegister(address: number, value: number): void;
  /** Function 15 (0x0F). */
  writeMultipleCoils(address: number, values: readonly boolean[]): void;
  /** Function 16 (0x10). */
  writeMultipleRegisters(address: number, values: readonly number[]): void;
}
