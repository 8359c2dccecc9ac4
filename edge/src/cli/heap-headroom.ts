/**
 * Live V8 heap of the edge agent, measured with the compiled build (docs/BENCHMARKS.md,
 * edge-poll d): ~15 MiB with one device, ~7 KiB more per configured device. The figures here
 * round both up, so the warning fires before a heap cap (--max-old-space-size, as the systemd
 * unit sets) gets close enough to stall polling in garbage collection or end in an OOM crash.
 */
export const HEAP_BASE_BYTES = 24 * 2 ** 20;
export const HEAP_PER_DEVICE_BYTES = 10 * 2 ** 10;

/** A warning when `devices` need more than 3/4 of `heapLimitBytes`; undefined when they fit. */
export function heapHeadroomWarning(devices: number, heapLimitBytes: number): string | undefined {
  const needed = HEAP_BASE_BYTES + devices * HEAP_PER_DEVICE_BYTES;
  if (needed <= heapLimitBytes * 0.75) return undefined;
  const mib = (b: number) => Math.ceil(b / 2 ** 20);
  return (
    `${devices} devices need about ${mib(needed)} MiB of V8 heap; the limit is ` +
    `${mib(heapLimitBytes)} MiB. Raise --max-old-space-size in NODE_OPTIONS to at least ` +
    `${mib((needed * 4) / 3)} (docs/DEPLOY.md).`
  );
}
