import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from './index.js';

const doc = readFileSync(new URL('../../../docs/ERRORS.md', import.meta.url), 'utf8');

describe('error catalog', () => {
  it('every code is documented in docs/ERRORS.md', () => {
    const missing = errorCodes.filter((code) => !doc.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });

  it('docs/ERRORS.md documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/`(GL_[A-Z0-9_]+)`/g)].map((m) => m[1]);
    expect(documented.filter((c) => !errorCodes.includes(c as never))).toEqual([]);
  });
});
