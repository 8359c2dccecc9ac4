import { describe, expect, it } from 'vitest';
import { parsePortFlag } from './shutdown.js';

describe('parsePortFlag', () => {
  it('accepts 0-65535 and absent', () => {
    expect(parsePortFlag('0', '--p')).toBe(0);
    expect(parsePortFlag('65535', '--p')).toBe(65535);
    expect(parsePortFlag(undefined, '--p')).toBeUndefined();
  });
  it.each(['eighty', '-1', '65536', '1.5', '', ' 80'])('rejects %j with the flag named', (v) => {
    expect(() => parsePortFlag(v, '--http-port')).toThrow(
      `--http-port must be a port number 0-65535, got "${v}"`,
    );
  });
});
