import { describe, expect, it } from 'vitest';
import { JsonObjectStream, type JsonStreamEvent } from './json-object-stream.js';

/** Feeds `chunks` in order to one reader and returns every event. */
function read(chunks: readonly (string | Buffer)[], maxBytes = 1024): JsonStreamEvent[] {
  const stream = new JsonObjectStream(maxBytes);
  const events: JsonStreamEvent[] = [];
  for (const c of chunks)
    stream.push(Buffer.isBuffer(c) ? c : Buffer.from(c), (e) => events.push(e));
  return events;
}

const objects = (events: JsonStreamEvent[]) =>
  events.map((e) => (e.kind === 'object' ? JSON.parse(e.text) : e));

describe('JSON object stream reader (SEEDS E framing)', () => {
  const stream =
    '{"id":0}{"id":7,"consumption":1.5,"datetime":"2025-12-05 10:00:00","type":"/spent"}\n' +
    ' {"note":"braces } { and \\"quotes\\" in a string","nested":{"a":[{"b":"}"}]}}\r\n' +
    '{"s":"back\\\\slash at the end\\\\"}{"u":"ç ü 水 🙂"}';
  const expected = [
    { id: 0 },
    { id: 7, consumption: 1.5, datetime: '2025-12-05 10:00:00', type: '/spent' },
    { note: 'braces } { and "quotes" in a string', nested: { a: [{ b: '}' }] } },
    { s: 'back\\slash at the end\\' },
    { u: 'ç ü 水 🙂' },
  ];

  it('reads bare objects, with or without newlines, strings and nesting aware', () => {
    expect(objects(read([stream]))).toEqual(expected);
  });

  it('gives the same objects however the bytes are split (every boundary, every pair)', () => {
    const bytes = Buffer.from(stream);
    for (let i = 0; i <= bytes.length; i++)
      expect(objects(read([bytes.subarray(0, i), bytes.subarray(i)]))).toEqual(expected);
    // Byte by byte (a multi-byte UTF-8 character split too).
    expect(objects(read([...bytes].map((b) => Buffer.from([b]))))).toEqual(expected);
    for (let i = 0; i < bytes.length; i += 7)
      for (let j = i; j <= bytes.length; j += 5)
        expect(
          objects(read([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])),
        ).toEqual(expected);
  });

  it('an object past maxBytes is one too-large, skipped to its end; the next one is read', () => {
    const big = `{"pad":"${'x'.repeat(100)}","inner":{"s":"}"}}`;
    const events = read([`${big}{"id":1}`], 64);
    expect(objects(events)).toEqual([{ kind: 'too-large' }, { id: 1 }]);
    // Split inside the oversize object, too.
    for (let i = 1; i < big.length; i += 9)
      expect(objects(read([big.slice(0, i), `${big.slice(i)}\n{"id":1}`], 64))).toEqual([
        { kind: 'too-large' },
        { id: 1 },
      ]);
    // Exactly maxBytes is fine.
    const fits = `{"p":"${'y'.repeat(64 - 8)}"}`;
    expect(Buffer.byteLength(fits)).toBe(64);
    expect(objects(read([fits], 64))).toEqual([{ p: 'y'.repeat(56) }]);
  });

  it('an object that never closes is cut at maxBytes and resynchronised at a newline', () => {
    const events = read([`{"a":"${'z'.repeat(200)}`, '\n', '{"id":2}\n'], 64);
    expect(objects(events)).toEqual([{ kind: 'too-large' }, { id: 2 }]);
  });

  it('garbage between objects is one event per run (to a newline or the next {), never buffered', () => {
    const events = read(['not json\n{"id":1}junk{"id":2}\n]]]\n', '  \n\t{"id":3}']);
    expect(objects(events)).toEqual([
      { kind: 'garbage', bytes: 8 },
      { id: 1 },
      { kind: 'garbage', bytes: 4 },
      { id: 2 },
      { kind: 'garbage', bytes: 3 },
      { id: 3 },
    ]);
    // A megabyte of garbage: counted, one event, nothing kept.
    const flood = read([Buffer.alloc(1_000_000, 0x41), '\n{"id":4}'], 64);
    expect(objects(flood)).toEqual([{ kind: 'garbage', bytes: 1_000_000 }, { id: 4 }]);
  });

  it('passes invalid JSON that is balanced through as an object (the codec answers it)', () => {
    const events = read(['{id:0}{"a":1,}']);
    expect(events).toEqual([
      { kind: 'object', text: '{id:0}' },
      { kind: 'object', text: '{"a":1,}' },
    ]);
  });
});
