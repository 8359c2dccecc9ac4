import type { Reading } from '@gridlink/shared';

/** Where COPY rows go, and the order of their columns. */
export const COPY_TARGET = 'readings (stream_id, seq, meter_id, ts, quality, "values")';

/** The last millisecond whose ISO text PostgreSQL reads back as a timestamp (year 9999). */
export const MAX_ISO_MS = 253_402_300_799_999;

/**
 * The ids a COPY row needs and only the database hands out: the stream of (edgeId, epoch) and
 * the meter of (edgeId, deviceId). Both rows are only ever added, so an id once learnt stays true.
 * The decode worker keeps a copy, taught by the main thread after each store.
 */
export class KnownIds {
  readonly #streams = new Map<string, number>();
  readonly #meters = new Map<string, number>();

  learn(ids: LearnedIds): void {
    this.#streams.set(`${ids.edgeId}\u0000${ids.epoch}`, ids.streamId);
    for (const [deviceId, meterId] of ids.meters)
      this.#meters.set(`${ids.edgeId}\u0000${deviceId}`, meterId);
  }

  stream(edgeId: string, epoch: string): number | undefined {
    return this.#streams.get(`${edgeId}\u0000${epoch}`);
  }

  meter(edgeId: string, deviceId: string): number | undefined {
    return this.#meters.get(`${edgeId}\u0000${deviceId}`);
  }
}

export interface LearnedIds {
  edgeId: string;
  epoch: string;
  streamId: number;
  meters: ReadonlyArray<readonly [deviceId: string, meterId: number]>;
}

/**
 * ISO 8601 text of a millisecond timestamp. Readings of one batch mostly share their second, so
 * the `YYYY-MM-DDTHH:MM:SS` part is kept from the previous call and only the milliseconds change.
 */
export class IsoTime {
  #second = Number.NaN;
  #prefix = '';

  format(ms: number): string {
    const millis = ms % 1000;
    const second = ms - millis;
    if (second !== this.#second) {
      this.#second = second;
      this.#prefix = new Date(second).toISOString().slice(0, 19);
    }
    return `${this.#prefix}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
  }
}

/**
 * The readings as COPY text rows (stream_id, seq, meter_id, ts, quality, values), one per
 * reading in seq order; undefined when one cannot be written so (a device whose meter id is not
 * known yet, a timestamp beyond year 9999): the batch then goes as a JSON document.
 * The readings must be validated (telemetryBatchSchema): values are numbers under snake_case
 * names, so their JSON holds no tab, newline, carriage return or backslash, the characters COPY's
 * text format would need escaped. The buffer is its own (transferable).
 */
export function copyRows(
  streamId: number,
  readings: readonly Reading[],
  meterOf: (deviceId: string) => number | undefined,
): Buffer | undefined {
  const iso = new IsoTime();
  let text = '';
  for (const r of readings) {
    const meter = meterOf(r.deviceId);
    if (meter === undefined || r.ts > MAX_ISO_MS) return undefined;
    text += `${streamId}\t${r.seq}\t${meter}\t${iso.format(r.ts)}\t${r.quality}\t${JSON.stringify(r.values)}\n`;
  }
  const rows = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  rows.write(text);
  return rows;
}

/** The rows after the first `count` (rows are whole lines, one per reading). */
export function dropRows(rows: Uint8Array, count: number): Uint8Array {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const newline = rows.indexOf(0x0a, at);
    if (newline < 0) throw new Error(`COPY rows: fewer than ${count} rows`);
    at = newline + 1;
  }
  return rows.subarray(at);
}
