import { describe, expect, it } from 'vitest';
import { FirstBatchGate } from './first-batch-gate.js';

const p = (s: string) => Buffer.from(s);

describe('FirstBatchGate', () => {
  it("holds an edge's payloads behind its first, releases them in order, then lets all through", () => {
    const gate = new FirstBatchGate();
    expect(gate.admit('e1', p('1'))).toBe(true); // the first goes to decode
    expect(gate.admit('e1', p('2'))).toBe(false);
    expect(gate.admit('e2', p('a'))).toBe(true); // other edges are not held by e1
    expect(gate.admit('e1', p('3'))).toBe(false);
    expect(gate.release('e1').map(String)).toEqual(['2', '3']);
    expect(gate.admit('e1', p('4'))).toBe(true);
    expect(gate.release('e1')).toEqual([]); // through: nothing held, ever again
    expect(gate.admit('e1', p('5'))).toBe(true);
    expect(gate.admit('e2', p('b'))).toBe(false);
    expect(gate.release('e2').map(String)).toEqual(['b']);
  });

  it('releases nothing for an edge it never held', () => {
    expect(new FirstBatchGate().release('e9')).toEqual([]);
  });
});
