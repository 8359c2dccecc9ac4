import { z } from '@hono/zod-openapi';
import { describe, expect, it } from 'vitest';
import { encodeKeyCursor, keyCursor } from './cursors.js';

const key = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/);

describe('keyCursor (pages over a text key)', () => {
  it('reads back the key its next value names', () => {
    for (const id of ['feira', 'company-a', '2147483648', 'a_b-c'])
      expect(keyCursor(key).parse(encodeKeyCursor(id))).toBe(id);
    expect(encodeKeyCursor(null)).toBeNull();
  });

  it('refuses a bare key, a number, a bad encoding and a key the schema refuses', () => {
    for (const forged of ['feira', '2147483648', 'k.', 'k.@@', encodeKeyCursor('Feira!')])
      expect(keyCursor(key).safeParse(forged).success, String(forged)).toBe(false);
  });
});
