/**
 * Holds an edge's telemetry back while its first batch since the central started is on its way
 * to the store. The decode thread writes COPY rows only for a stream whose ids it has been
 * taught, and it learns them from the first store (BatchDecoder.learn). Without the gate, the
 * batches an edge has in flight behind its first one (up to a window of eight) were all decoded
 * before that store, so they too went in as JSON documents, the slower statement (docs/WIRE.md,
 * step 4). Held payloads are decoded once the first batch is stored, or failed, in arrival
 * order; from then on the edge passes straight through. Only the first batch of each edge is
 * waited for: an edge whose first store failed, or which starts a new epoch, sends JSON until a
 * store teaches the decoder again, but it is never held twice.
 */
export class FirstBatchGate {
  /** Edges whose first batch has been stored or failed. */
  readonly #through = new Set<string>();
  /** Edges whose first batch is out, with the payloads that arrived behind it. */
  readonly #held = new Map<string, Buffer[]>();

  /** Whether to decode `payload` now (the edge's first, or the edge is through); else it is held. */
  admit(edgeId: string, payload: Buffer): boolean {
    if (this.#through.has(edgeId)) return true;
    const held = this.#held.get(edgeId);
    if (held) {
      held.push(payload);
      return false;
    }
    this.#held.set(edgeId, []);
    return true;
  }

  /** The edge's first batch was stored or failed: the payloads held behind it, in order. */
  release(edgeId: string): Buffer[] {
    const held = this.#held.get(edgeId);
    if (!held) return [];
    this.#held.delete(edgeId);
    this.#through.add(edgeId);
    return held;
  }
}
