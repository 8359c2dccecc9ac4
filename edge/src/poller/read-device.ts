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

/** One block's outcome: its registers, or the error of its last attempt. */
interface BlockRead {
  data: Buffer | undefined;
  error: GridlinkError | undefined;
  /** The device refused the block as a whole (exception 02 on a multi-field block). */
  refused: boolean;
}

const blockData = (data: Buffer): BlockRead => ({ data, error: undefined, refused: false });

/**
 * One block with up to `retries` immediate retries; an exception reply is final. Chained with
 * `then` rather than an async loop: this runs once per transaction.
 */
function readBlock(
  link: ModbusLink,
  target: ReadTarget,
  block: ReadBlock,
  attempt = 0,
): Promise<BlockRead> {
  const request = {
    unitId: target.unitId,
    fn: block.fn,
    start: block.start,
    count: block.count,
    timeoutMs: target.timeoutMs,
  };
  return link.read(request).then(blockData, (err: unknown) => {
    if (!isGridlinkError(err)) throw err;
    if (attempt < target.retries && err.code !== 'GL_MODBUS_EXCEPTION')
      return readBlock(link, target, block, attempt + 1);
    const refused =
      err.code === 'GL_MODBUS_EXCEPTION' &&
      (err.details as { exceptionCode?: number })?.exceptionCode === 2 &&
      block.fields.length > 1;
    return { data: undefined, error: err, refused };
  });
}

/**
 * One poll. Blocks go through the link's queue: one after the other, or all at once when the
 * link takes several requests in flight (a native Modbus TCP device with `maxInFlight` > 1). A
 * block that fails costs only its own fields (quality `uncertain`); a field that does not decode
 * is left out, never guessed.
 */
export async function readDevice(
  link: ModbusLink,
  target: ReadTarget,
  blocks: readonly ReadBlock[],
  now: () => number,
): Promise<ReadResult> {
  let reads: BlockRead[];
  if (link.maxInFlight > 1 && blocks.length > 1) {
    reads = await Promise.all(blocks.map((b) => readBlock(link, target, b)));
  } else {
    reads = [];
    for (const block of blocks) reads.push(await readBlock(link, target, block));
  }
  const values: Record<string, number> = {};
  let errors: GridlinkError[] | undefined;
  let refused: ReadBlock[] | undefined;
  let failedFields = 0;
  let fields = 0;
  let stored = 0;
  blocks.forEach((block, b) => {
    const { data, error, refused: whole } = reads[b] as BlockRead;
    fields += block.fields.length;
    if (error) errors = [...(errors ?? []), error];
    if (whole) refused = [...(refused ?? []), block];
    if (!data) {
      failedFields += block.fields.length;
      return;
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
  });
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
