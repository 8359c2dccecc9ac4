/**
 * CRC16/CCITT-FALSE as the BR Code manual (EMV QRCPS MPM data object 63) requires:
 * polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
 * Check value: crc16CcittFalse('123456789') === 0x29B1.
 */
export function crc16CcittFalse(text: string): number {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** The CRC as field 63 carries it: four uppercase hex digits. */
export function crc16Hex(text: string): string {
  return crc16CcittFalse(text).toString(16).toUpperCase().padStart(4, '0');
}
