import { type RegisterField, registerCount } from './field.js';

export interface ReadBlock {
  fn: 1 | 2 | 3 | 4;
  start: number;
  count: number;
  fields: RegisterField[];
}

export interface BlockPlanOptions {
  /** Registers per read: at most 125 (Modbus Application Protocol v1.1b3 §6.3/§6.4). */
  maxRegisters?: number;
  /** Unused registers a block may span to join two fields. */
  maxGap?: number;
}

/** Coils/discrete inputs per read: at most 2000 (§6.1/§6.2). */
const MAX_BITS = 2000;

/**
 * Coalesces neighbouring fields of the same function code into block reads. Fields keep their
 * order inside a block; a field is never split. Pure: the poller decides what to do on failure.
 */
export function planBlocks(
  fields: readonly RegisterField[],
  options: BlockPlanOptions = {},
): ReadBlock[] {
  const maxRegisters = Math.min(options.maxRegisters ?? 125, 125);
  const maxGap = options.maxGap ?? 10;
  const sorted = [...fields].sort((a, b) => a.fn - b.fn || a.address - b.address);
  const blocks: ReadBlock[] = [];
  let current: ReadBlock | undefined;
  for (const field of sorted) {
    const size = registerCount(field);
    const limit = field.fn <= 2 ? MAX_BITS : maxRegisters;
    if (current && current.fn === field.fn) {
      const end = current.start + current.count;
      const newEnd = Math.max(end, field.address + size);
      const gap = field.address - end;
      if (gap <= maxGap && newEnd - current.start <= limit) {
        current.count = newEnd - current.start;
        current.fields.push(field);
        continue;
      }
    }
    current = { fn: field.fn, start: field.address, count: size, fields: [field] };
    blocks.push(current);
  }
  return blocks;
}
