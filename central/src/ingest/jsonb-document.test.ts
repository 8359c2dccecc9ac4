import { describe, expect, it } from 'vitest';
import { concatJsonbArrays, jsonbDocument, jsonbText } from './jsonb-document.js';

describe('jsonb documents', () => {
  it('are the version byte 1 and the UTF-8 text, in a buffer of their own', () => {
    const doc = jsonbDocument('[{"é":"ü"}]');
    expect(doc[0]).toBe(1);
    expect(doc.subarray(1).toString('utf8')).toBe('[{"é":"ü"}]');
    expect(doc.byteOffset).toBe(0);
    expect(doc.buffer.byteLength).toBe(doc.byteLength); // transferable without taking others along
    expect(jsonbText(doc)).toBe('[{"é":"ü"}]');
  });

  it('join two arrays into one', () => {
    const joined = concatJsonbArrays(jsonbDocument('[1,{"a":"ç"}]'), jsonbDocument('[3]'));
    expect(joined[0]).toBe(1);
    expect(JSON.parse(jsonbText(joined))).toEqual([1, { a: 'ç' }, 3]);
    expect(jsonbText(concatJsonbArrays(jsonbDocument('[1]'), jsonbDocument('[2,3]')))).toBe(
      '[1,2,3]',
    );
  });
});
