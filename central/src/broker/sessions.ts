/**
 * The sessions each edge holds, counted by client id: a CONNECT with an id the edge already holds
 * takes that session over (MQTT-3.1.4-2) and is never refused for the limit, so an edge whose old
 * connection has not timed out yet can always come back; a new id is refused once the edge holds
 * `limit` of them.
 */
export type Admission = { ok: true } | { ok: false; sessions: number };

export class EdgeSessions<Handle extends object> {
  /** edgeId → clientId → the live connections with that id (two while a takeover runs). */
  private readonly byEdge = new Map<string, Map<string, Set<Handle>>>();
  private readonly owners = new Map<Handle, { edgeId: string; clientId: string }>();

  constructor(private readonly limit: number) {}

  /** Checks and, if allowed, records `handle` in one synchronous step (no race between CONNECTs). */
  admit(edgeId: string, clientId: string, handle: Handle): Admission {
    let ids = this.byEdge.get(edgeId);
    const held = ids?.get(clientId);
    if (!held && (ids?.size ?? 0) >= this.limit) return { ok: false, sessions: ids?.size ?? 0 };
    if (!ids) {
      ids = new Map();
      this.byEdge.set(edgeId, ids);
    }
    const set = held ?? new Set<Handle>();
    set.add(handle);
    ids.set(clientId, set);
    this.owners.set(handle, { edgeId, clientId });
    return { ok: true };
  }

  /** Forgets `handle`'s connection; idempotent (called on unregister and on socket close). */
  release(handle: Handle): void {
    const owner = this.owners.get(handle);
    if (!owner) return;
    this.owners.delete(handle);
    const ids = this.byEdge.get(owner.edgeId);
    const set = ids?.get(owner.clientId);
    set?.delete(handle);
    if (set?.size === 0) ids?.delete(owner.clientId);
    if (ids?.size === 0) this.byEdge.delete(owner.edgeId);
  }

  /** Distinct client ids `edgeId` holds now. */
  count(edgeId: string): number {
    return this.byEdge.get(edgeId)?.size ?? 0;
  }
}
