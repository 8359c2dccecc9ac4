/**
 * The answer step of a Modbus server, made replaceable so a device can misbehave on purpose.
 * The PDU codec computes the honest reply; a shaper may delay it, corrupt it, replace it, drop it
 * or close the connection. Servers apply the decision; they never decide faults themselves.
 */

export interface ModbusRequest {
  unitId: number;
  /** Function code + data. */
  pdu: Buffer;
}

export interface ModbusReply {
  /** The unit id (TCP) or address (RTU) the reply carries. */
  unitId: number;
  /** Function code + data; may be truncated by a fault. */
  pdu: Buffer;
  /** Extra time before the reply starts, ms (on RTU: on top of the device's reply delay). */
  delayMs: number;
  /** RTU only: send the frame with a wrong CRC. Modbus TCP has no CRC and ignores it. */
  badCrc: boolean;
}

export type ReplyDecision =
  | { action: 'reply'; reply: ModbusReply }
  /** Say nothing: the master times out. */
  | { action: 'silent' }
  /** Modbus TCP: drop the connection. A serial line cannot be closed; it is silent instead. */
  | { action: 'close' };

/** Decides what the device actually sends for one request; `reply` is the honest answer. */
export type ReplyShaper = (request: ModbusRequest, reply: ModbusReply) => ReplyDecision;
