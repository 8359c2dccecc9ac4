import { describe, expect, it } from 'vitest';
import { HEAP_BASE_BYTES, HEAP_PER_DEVICE_BYTES, heapHeadroomWarning } from './heap-headroom.js';

const MiB = 2 ** 20;

describe('heapHeadroomWarning', () => {
  it('stays quiet when the devices fit in three quarters of the heap limit', () => {
    // The systemd unit's 96 MiB cap: 1,000 devices need ~34 MiB.
    expect(heapHeadroomWarning(1000, 96 * MiB)).toBeUndefined();
    // Exactly at the three-quarter line still fits.
    const limit = ((HEAP_BASE_BYTES + 5000 * HEAP_PER_DEVICE_BYTES) * 4) / 3;
    expect(heapHeadroomWarning(5000, limit)).toBeUndefined();
  });

  it('names the device count, the need, the limit and the flag to raise', () => {
    const warning = heapHeadroomWarning(10_000, 96 * MiB);
    expect(warning).toBe(
      '10000 devices need about 122 MiB of V8 heap; the limit is 96 MiB. ' +
        'Raise --max-old-space-size in NODE_OPTIONS to at least 163 (docs/DEPLOY.md).',
    );
  });
});
