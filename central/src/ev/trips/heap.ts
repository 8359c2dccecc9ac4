/** A binary min-heap of (key, id, time) triples in typed arrays: the planner's priority queue. */
export class StateHeap {
  private keys = new Float64Array(1024);
  private ids = new Int32Array(1024);
  private times = new Float64Array(1024);
  size = 0;

  push(key: number, id: number, time: number): void {
    if (this.size === this.keys.length) this.grow();
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((this.keys[p] as number) <= key) break;
      this.keys[i] = this.keys[p] as number;
      this.ids[i] = this.ids[p] as number;
      this.times[i] = this.times[p] as number;
      i = p;
    }
    this.keys[i] = key;
    this.ids[i] = id;
    this.times[i] = time;
  }

  /** Removes the minimum; its key, id and time are then in `topKey`, `topId` and `topTime`. */
  topKey = 0;
  topId = 0;
  topTime = 0;
  pop(): boolean {
    if (this.size === 0) return false;
    this.topKey = this.keys[0] as number;
    this.topId = this.ids[0] as number;
    this.topTime = this.times[0] as number;
    const n = --this.size;
    if (n === 0) return true;
    const key = this.keys[n] as number;
    const id = this.ids[n] as number;
    const time = this.times[n] as number;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && (this.keys[c + 1] as number) < (this.keys[c] as number)) c++;
      if ((this.keys[c] as number) >= key) break;
      this.keys[i] = this.keys[c] as number;
      this.ids[i] = this.ids[c] as number;
      this.times[i] = this.times[c] as number;
      i = c;
    }
    this.keys[i] = key;
    this.ids[i] = id;
    this.times[i] = time;
    return true;
  }

  private grow(): void {
    const n = this.keys.length * 2;
    const k = new Float64Array(n);
    k.set(this.keys);
    const d = new Int32Array(n);
    d.set(this.ids);
    const t = new Float64Array(n);
    t.set(this.times);
    this.keys = k;
    this.ids = d;
    this.times = t;
  }
}
