import type { EvPointState } from '../../storage/index.js';

/**
 * What one reading of a point's charger does to its session (docs/EV.md, "Sessions and
 * pricing"). Pure: the store applies the decision in one statement.
 *
 * - A point occupied (preparing, charging, finishing) with no open session opens one: plug-in
 *   (preparing), or a session already charging when its first readings were missed.
 * - charging sets `chargingStartedAt` (once) and clears a stop (a car that resumes);
 *   finishing, or preparing after charging, sets `chargingStoppedAt`.
 * - Any other known state (available: unplugged; reserved; faulted; unavailable) ends it.
 *
 * Energy comes from the lifetime register (`energy_total`, never decreasing): the session's
 * energy is its last value minus its value at the start. The session register resets when a
 * session starts and keeps its value after it ends, so it is ambiguous at the edges (a
 * preparing point still shows the last session's energy; a reset read late looks like a
 * session of the last one's size); it is used only for a charger with no lifetime register.
 * A session first seen already charging starts from `total − session`, the register at its
 * start. Between decisions that matter, readings are not written: the point's row keeps the
 * latest registers and the end reading carries the final one (Wh registers are cumulative).
 */
export interface Reading {
  state: EvPointState;
  at: Date;
  energyTotalWh: number | null;
  sessionEnergyWh: number | null;
  powerW: number | null;
}

export interface OpenSession {
  id: number;
  chargingStartedAt: Date | null;
  chargingStoppedAt: Date | null;
  energyStartWh: number | null;
  maxPowerW: number | null;
  lastReadingAt: Date;
  /** When the last energy sample was taken (null: none yet). */
  lastSampleAt: Date | null;
}

export interface SessionPatch {
  lastReadingAt: Date;
  chargingStartedAt?: Date | null;
  chargingStoppedAt?: Date | null;
  energyEndWh?: number;
  sessionEnergyWh?: number;
  maxPowerW?: number;
  /** Energy since the start at `at`, appended to the samples. */
  sample?: { at: string; wh: number };
}

export type Decision =
  | { kind: 'none' }
  | {
      kind: 'open';
      startedAt: Date;
      chargingStartedAt: Date | null;
      chargingStoppedAt: Date | null;
      energyStartWh: number | null;
      energyEndWh: number | null;
      sessionEnergyWh: number | null;
      maxPowerW: number | null;
    }
  | { kind: 'update'; patch: SessionPatch }
  | { kind: 'end'; patch: SessionPatch; endedAt: Date; reason: EvPointState };

const OCCUPIED: ReadonlySet<EvPointState> = new Set(['preparing', 'charging', 'finishing']);

export const isOccupied = (state: EvPointState) => OCCUPIED.has(state);

/** `sampleEveryMs`: how often to keep an energy sample while charging. */
export function decide(open: OpenSession | null, r: Reading, sampleEveryMs: number): Decision {
  if (r.state === 'unknown') return { kind: 'none' };
  if (!open) {
    if (!OCCUPIED.has(r.state)) return { kind: 'none' };
    const charged = r.state !== 'preparing';
    const start =
      r.energyTotalWh === null
        ? null
        : charged && r.sessionEnergyWh !== null
          ? Math.max(0, r.energyTotalWh - r.sessionEnergyWh)
          : r.energyTotalWh;
    return {
      kind: 'open',
      startedAt: r.at,
      chargingStartedAt: charged ? r.at : null,
      chargingStoppedAt: r.state === 'finishing' ? r.at : null,
      energyStartWh: start,
      energyEndWh: r.energyTotalWh,
      sessionEnergyWh: r.sessionEnergyWh,
      maxPowerW: r.powerW,
    };
  }
  if (r.at.getTime() < open.lastReadingAt.getTime()) return { kind: 'none' };

  const patch: SessionPatch = { lastReadingAt: r.at };
  if (r.energyTotalWh !== null) patch.energyEndWh = r.energyTotalWh;
  if (r.sessionEnergyWh !== null) patch.sessionEnergyWh = r.sessionEnergyWh;
  let matters = false;
  if (r.powerW !== null && r.powerW > (open.maxPowerW ?? 0)) {
    patch.maxPowerW = r.powerW;
    matters = true;
  }
  const charging = r.state === 'charging';
  if (charging && open.chargingStartedAt === null) {
    patch.chargingStartedAt = r.at;
    matters = true;
  }
  if (charging && open.chargingStoppedAt !== null) {
    patch.chargingStoppedAt = null;
    matters = true;
  }
  const stopsCharging =
    !charging && open.chargingStartedAt !== null && open.chargingStoppedAt === null;
  if (stopsCharging && OCCUPIED.has(r.state)) {
    patch.chargingStoppedAt = r.at;
    matters = true;
  }
  const chargingNow = open.chargingStartedAt !== null && open.chargingStoppedAt === null;
  if (
    (chargingNow || patch.chargingStartedAt || patch.chargingStoppedAt) &&
    r.energyTotalWh !== null &&
    open.energyStartWh !== null &&
    (open.lastSampleAt === null ||
      r.at.getTime() - open.lastSampleAt.getTime() >= sampleEveryMs ||
      patch.chargingStoppedAt !== undefined)
  ) {
    patch.sample = {
      at: r.at.toISOString(),
      wh: Math.max(0, r.energyTotalWh - open.energyStartWh),
    };
    matters = true;
  }
  if (!OCCUPIED.has(r.state)) {
    if (stopsCharging) patch.chargingStoppedAt = r.at;
    return { kind: 'end', patch, endedAt: r.at, reason: r.state };
  }
  return matters ? { kind: 'update', patch } : { kind: 'none' };
}
