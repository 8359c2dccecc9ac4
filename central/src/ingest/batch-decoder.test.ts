import { gzipSync } from 'node:zlib';
import { DEFAULT_CENTRAL_WINDOW, isGridlinkError } from '@gridlink/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchDecoder } from './batch-decoder.js';
import type { DecodedBatch } from './decoded-batch.js';
import { jsonbText } from './jsonb-document.js';

/** The central's clock in these tests, and a reading time an hour before it. */
const NOW = Date.parse('2026-01-01T12:00:00Z');
const TS = NOW - 3_600_000;
const start = () => new BatchDecoder({ maxPayloadBytes: 10_000, window: DEFAULT_CENTRAL_WINDOW });

const rowsDoc = (batch: DecodedBatch) => {
  if (batch.rows.kind !== 'json') throw new Error('expected JSON rows');
  return batch.rows.doc;
};

const payload = (firstSeq: number, over: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      edgeId: 'e1',
      epoch: 'epoch-0001',
      firstSeq,
      lastSeq: firstSeq,
      dropped: 0,
      readings: [{ seq: firstSeq, deviceId: 'm1', ts: TS, quality: 'good', values: { a: 1 } }],
      ...over,
    }),
  );

const outcome = (p: Promise<unknown>) =>
  p.then(
    (b) => (b as { firstSeq: number }).firstSeq,
    (err: unknown) => (isGridlinkError(err) ? err.code : String(err)),
  );

describe('BatchDecoder (the ingest decode thread)', () => {
  let decoder: BatchDecoder;
  afterEach(() => decoder.close());

  it('decodes on a worker thread and answers in the order payloads went in, bad ones with their code', async () => {
    decoder = start();
    const results = await Promise.all([
      outcome(decoder.decode('e1', payload(1), NOW)),
      outcome(decoder.decode('e1', Buffer.from('{nope'), NOW)),
      outcome(decoder.decode('e1', gzipSync(payload(2)), NOW)),
      outcome(decoder.decode('e2', payload(3), NOW)),
      outcome(decoder.decode('e1', payload(4, { lastSeq: 9 }), NOW)),
      outcome(decoder.decode('e1', Buffer.alloc(20_000, 0x20), NOW)),
      outcome(decoder.decode('e1', payload(5), NOW)),
    ]);
    expect(results).toEqual([
      1,
      'GL_PAYLOAD_INVALID_JSON',
      2,
      'GL_EDGE_MISMATCH',
      'GL_PAYLOAD_SCHEMA',
      'GL_PAYLOAD_TOO_LARGE',
      5,
    ]);
  });

  it('hands the store the validated readings re-encoded, the devices once', async () => {
    decoder = start();
    const b = await decoder.decode('e1', payload(7, { extra: 'dropped by the schema' }), NOW);
    expect(b).toMatchObject({ edgeId: 'e1', firstSeq: 7, lastSeq: 7, droppedUpTo: 0 });
    expect(b.deviceIds).toEqual(['m1']);
    expect(JSON.parse(jsonbText(rowsDoc(b)))).toEqual([
      { seq: 7, deviceId: 'm1', ts: TS, quality: 'good', values: { a: 1 } },
    ]);
  });

  it("checks each payload's reading times against the clock it was handed with", async () => {
    decoder = start();
    const ahead = payload(1, {
      readings: [{ seq: 1, deviceId: 'm1', ts: NOW + 2 * 3_600_000, quality: 'good', values: {} }],
    });
    const early = await decoder.decode('e1', ahead, NOW);
    expect(early.quarantine.map((q) => [q.seq, q.reason, q.checkedAt])).toEqual([
      [1, 'time_after_window', NOW],
    ]);
    expect(early.deviceIds).toEqual([]);
    const later = await decoder.decode('e1', ahead, NOW + 3_600_000);
    expect(later.quarantine).toEqual([]);
    expect(later.deviceIds).toEqual(['m1']);
  });

  it('fails what a stopped worker held, and a new payload starts a new worker', async () => {
    decoder = start();
    const held = outcome(decoder.decode('e1', payload(1), NOW));
    await decoder.close();
    expect(await held).toBe('GL_INTERNAL');
    expect(await outcome(decoder.decode('e1', payload(2), NOW))).toBe(2);
  });

  it('writes COPY rows once taught a stream and its meters; a new worker must be taught again', async () => {
    decoder = start();
    const kind = async (seq: number) => (await decoder.decode('e1', payload(seq), NOW)).rows.kind;
    expect(await kind(1)).toBe('json');
    decoder.learn('e1', 'epoch-0001', 5, new Map([['m1', 9]]));
    const copied = await decoder.decode('e1', payload(2), NOW);
    expect(copied.rows.kind).toBe('copy');
    if (copied.rows.kind === 'copy') {
      expect(copied.rows.streamId).toBe(5);
      expect(Buffer.from(copied.rows.text).toString()).toBe(
        '5\t2\t9\t2026-01-01T11:00:00.000Z\tgood\t{"a":1}\n',
      );
    }
    // Another device the worker was not taught: JSON.
    const other = payload(3, {
      readings: [{ seq: 3, deviceId: 'm2', ts: TS, quality: 'good', values: {} }],
    });
    expect((await decoder.decode('e1', other, NOW)).rows.kind).toBe('json');
    await decoder.close();
    expect(await kind(4)).toBe('json'); // a new worker knows no ids
    decoder.learn('e1', 'epoch-0001', 5, new Map([['m1', 9]]));
    expect(await kind(5)).toBe('copy');
  });
});
