/**
 * Modbus exception codes (Modbus Application Protocol v1.1b3 §7, "MODBUS Exception Responses").
 * An exception response is the request's function code with its high bit set, then one of these.
 */
export const ExceptionCode = {
  /** 01: the function code is not an allowable action for the server. */
  IllegalFunction: 0x01,
  /** 02: the data address (or address + quantity) is not an allowable address for the server. */
  IllegalDataAddress: 0x02,
  /** 03: a value in the query is not allowable, or the implied length of the request is wrong. */
  IllegalDataValue: 0x03,
  /** 04: an unrecoverable error occurred while the server was performing the requested action. */
  ServerDeviceFailure: 0x04,
  /** 05: accepted, processing will take a long time. */
  Acknowledge: 0x05,
  /** 06: the server is busy with a long-duration command. */
  ServerDeviceBusy: 0x06,
  /** 08: memory parity error (file record functions). */
  MemoryParityError: 0x08,
  /** 0A: a gateway could not allocate a path to the target device. */
  GatewayPathUnavailable: 0x0a,
  /** 0B: a gateway got no response from the target device. */
  GatewayTargetFailedToRespond: 0x0b,
} as const;

export type ExceptionCode = (typeof ExceptionCode)[keyof typeof ExceptionCode];

/**
 * Thrown by a RegisterBank to make the PDU server answer with an exception response. Any other
 * error thrown by a bank is answered with 04 (server device failure).
 */
export class ModbusException extends Error {
  readonly exceptionCode: ExceptionCode;

  constructor(exceptionCode: ExceptionCode, message = `Modbus exception ${exceptionCode}`) {
    super(message);
    this.name = 'ModbusException';
    this.exceptionCode = exceptionCode;
  }
}
