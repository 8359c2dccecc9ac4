import {
  decodeField,
  type GridlinkError,
  isGridlinkError,
  type ReadBlock,
  type Reading,
} from '@gridlink/shared';
import type { ModbusLink } from '../modbus/index.js';

export type PolledReading = Omit<Reading, 'seq'>;

export interface ReadResult {
  reading: PolledReading | undefined;
  errors: readonly GridlinkError[];
  /** Blocks the device refused as a whole (exception 02): the caller splits them per field. */
  refused: readonly ReadBlock[];
}

/** Most polls have no errors: they share these instead of allocating two arrays each. */
const NONE: readonly never[] = Object.freeze([]);

export interface ReadTarget {
  deviceId: string;
  unitId: number;
  timeoutMs: number;
  retries: number;
}

/**
 * One poll: every block in turn through the link's queue. A block that fails costs only its own
 * fields (quality `uncertain`); a field that does not decode is left out, never guessed.
 */
export async function readDevice(
  link: ModbusLink,
  target: ReadTarget,
  blocks: readonly ReadBlock[],
  now: () => number,
): Promise<ReadResult> {
  const values: Record<string, number> = {};
  let errors: GridlinkError[] | undefined;
  let refused: ReadBlock[] | undefined;
  let failedFields = 0;
  let fields = 0;
  let stored = 0;
  for (const block of blocks) {
    fields += block.fields.length;
    let data: Buffer | undefined;
    for (let attempt = 0; attempt <= target.retries && !data; attempt++) {
      try {
        data = await link.read({
          unitId: target.unitId,
          fn: block.fn,
          start: block.start,
          count: block.count,
          timeoutMs: target.timeoutMs,
        });
      } catch (err) {
        if (!isGridlinkError(err)) throw err;
        if (attempt === target.retries || err.code === 'GL_MODBUS_EXCEPTION') {
          errors = [...(errors ?? []), err];
          if (
            err.code === 'GL_MODBUS_EXCEPTION' &&
            (err.details as { exceptionCode?: number })?.exceptionCode === 2 &&
            block.fields.length > 1
          ) {
            refused = [...(refused ?? []), block];
          }
          break;
        }
      }
    }
    if (!data) {
      failedFields += block.fields.length;
      continue;
    }
    for (const field of block.fields) {
      try {
        const v = decodeField(field, data, block.start);
        if (typeof v === 'number') {
          values[field.name] = v;
          stored++;
        }
      } catch (err) {
        if (!isGridlinkError(err)) throw err;
        errors = [...(errors ?? []), err];
        failedFields++;
      }
    }
  }
  if (stored === 0) return { reading: undefined, errors: errors ?? NONE, refused: refused ?? NONE };
  return {
    reading: {
      deviceId: target.deviceId,
      ts: now(),
      quality: failedFields === 0 && fields > 0 ? 'good' : 'uncertain',
      values,
    },
    errors: errors ?? NONE,
    refused: refused ?? NONE,
  };
}
