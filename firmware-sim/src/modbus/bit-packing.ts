/**
 * Coil and discrete-input packing (Modbus Application Protocol v1.1b3 §6.1, §6.11): the first
 * item is the least significant bit of the first byte; unused high bits of the last byte are 0.
 */

export function packedByteCount(count: number): number {
  return Math.ceil(count / 8);
}

/** Packs `bits` into `out` starting at byte `at`. */
export function packBits(bits: ArrayLike<boolean>, out: Buffer, at: number): void {
  for (let i = 0; i < bits.length; i++) {
    if (bits[i]) out[at + (i >> 3)] = (out[at + (i >> 3)] as number) | (1 << (i & 7));
  }
}

/** Reads `count` bits from `bytes`, least significant bit of the first byte first. */
export function unpackBits(bytes: Buffer, count: number): boolean[] {
  const bits: boolean[] = new Array(count);
  for (let i = 0; i < count; i++) bits[i] = (((bytes[i >> 3] as number) >> (i & 7)) & 1) === 1;
  return bits;
}
