import type { EvReservationState } from '../../storage/index.js';

/**
 * The booking lifecycle (OCPI 2.3 Bookings, plus EXPIRED and COMPLETED; docs/EV.md,
 * "Reservations"), as a table: state × event → next state.
 *
 *   PENDING ──confirm──► RESERVED ──fulfil──► FULFILLED ──complete──► COMPLETED
 *     │ expire/reject/fail/cancel  │ cancel/no_show
 *     ▼                            ▼
 *   EXPIRED REJECTED FAILED CANCELED   CANCELED NO_SHOW
 *
 * The live states hold their slot: the exclusion constraint of migration 0019 covers exactly
 * these, so no two live bookings of one point ever overlap.
 */
export const LIVE_STATES = [
  'PENDING',
  'RESERVED',
  'FULFILLED',
] as const satisfies readonly EvReservationState[];

export const reservationEvents = [
  'confirm',
  'expire',
  'reject',
  'fail',
  'cancel',
  'fulfil',
  'no_show',
  'complete',
] as const;
export type ReservationEvent = (typeof reservationEvents)[number];

const TABLE: Record<EvReservationState, Partial<Record<ReservationEvent, EvReservationState>>> = {
  PENDING: {
    confirm: 'RESERVED',
    expire: 'EXPIRED',
    reject: 'REJECTED',
    fail: 'FAILED',
    cancel: 'CANCELED',
  },
  RESERVED: { fulfil: 'FULFILLED', cancel: 'CANCELED', no_show: 'NO_SHOW' },
  FULFILLED: { complete: 'COMPLETED' },
  COMPLETED: {},
  CANCELED: {},
  NO_SHOW: {},
  EXPIRED: {},
  REJECTED: {},
  FAILED: {},
};

/** The next state, or undefined when `event` is not allowed in `state`. */
export function nextReservationState(
  state: EvReservationState,
  event: ReservationEvent,
): EvReservationState | undefined {
  return TABLE[state][event];
}

/** The states from which `event` leads somewhere (for conditional UPDATEs). */
export function statesAllowing(event: ReservationEvent): EvReservationState[] {
  return (Object.keys(TABLE) as EvReservationState[]).filter((s) => TABLE[s][event] !== undefined);
}

export function isLiveState(state: EvReservationState): boolean {
  return (LIVE_STATES as readonly string[]).includes(state);
}

/** OCPI 2.3 cancel reasons, plus who asked when nothing broke (USER, OPERATOR). */
export const cancelReasons = [
  'POWER_OUTAGE',
  'BROKEN_CHARGER',
  'FULL',
  'BLOCKED',
  'TRAFFIC',
  'BROKEN_VEHICLE',
  'USER',
  'OPERATOR',
  /** A federated transaction (docs/FEDERATION.md) was canceled or compensated. */
  'FEDERATION',
] as const;
export type CancelReason = (typeof cancelReasons)[number];
