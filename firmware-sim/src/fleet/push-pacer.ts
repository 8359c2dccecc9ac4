/** A push device the pacer can drive: it knows when its next reading is due. */
export interface PacedDevice {
  readonly nextReadingMs: number;
  advance(nowMs: number): void;
}

interface Entry {
  dueMs: number;
  device: PacedDevice;
}

/**
 * Sends push devices' readings when they fall due rather than on the fleet's coarse tick: a
 * binary min-heap on the next due time, so each `run` touches only the devices that are due
 * (O(k log n)), whatever the fleet's size. Entries may be stale (the fleet tick, or an
 * interval change, moved a device's due time): a popped device that is not due yet is simply
 * put back at its real due time.
 */
export class PushPacer {
  private readonly heap: Entry[] = [];

  constructor(devices: Iterable<PacedDevice> = []) {
    for (const device of devices) this.add(device);
  }

  get size(): number {
    return this.heap.length;
  }

  add(device: PacedDevice): void {
    this.push({ dueMs: device.nextReadingMs, device });
  }

  /** Advances every device whose reading is due at or before `nowMs`; returns how many did. */
  run(nowMs: number): number {
    let advanced = 0;
    while (this.heap.length > 0 && (this.heap[0] as Entry).dueMs <= nowMs) {
      const entry = this.pop();
      if (entry.device.nextReadingMs <= nowMs) {
        entry.device.advance(nowMs);
        advanced++;
      }
      this.push({ dueMs: entry.device.nextReadingMs, device: entry.device });
    }
    return advanced;
  }

  private push(entry: Entry): void {
    const h = this.heap;
    h.push(entry);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((h[parent] as Entry).dueMs <= entry.dueMs) break;
      h[i] = h[parent] as Entry;
      i = parent;
    }
    h[i] = entry;
  }

  private pop(): Entry {
    const h = this.heap;
    const top = h[0] as Entry;
    const last = h.pop() as Entry;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mDue = last.dueMs;
        if (l < h.length && (h[l] as Entry).dueMs < mDue) {
          m = l;
          mDue = (h[l] as Entry).dueMs;
        }
        if (r < h.length && (h[r] as Entry).dueMs < mDue) m = r;
        if (m === i) break;
        h[i] = h[m] as Entry;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}
