import { describe, expect, it } from 'vitest';
import {
  type ConnectorEvent,
  type ConnectorState,
  type ConnectorStatus,
  connectorStatus,
  initialConnectorState,
  type RefusalKind,
  reservationMinutesLeft,
  transition,
} from './connector-machine.js';

const T = 1_000_000;
const MIN = 60_000;

/** One state per status (two for preparing: a car waiting, or a start waiting for a car). */
const from = {
  available: () => initialConnectorState(),
  'preparing (car)': () => ({ ...initialConnectorState(), vehicle: true }),
  'preparing (authorized)': () => ({ ...initialConnectorState(), authorized: true }),
  charging: () => ({ ...initialConnectorState(), vehicle: true, session: 'charging' as const }),
  finishing: () => ({
    ...initialConnectorState(),
    vehicle: true,
    session: 'finishing' as const,
    finishingSinceMs: T,
  }),
  reserved: () => ({ ...initialConnectorState(), reservedUntilMs: T + 10 * MIN }),
  'reserved (car)': () => ({
    ...initialConnectorState(),
    reservedUntilMs: T + 10 * MIN,
    vehicle: true,
  }),
  faulted: () => ({ ...initialConnectorState(), faultCode: 7 }),
  'faulted (car)': () => ({ ...initialConnectorState(), faultCode: 7, vehicle: true }),
  unavailable: () => ({ ...initialConnectorState(), operative: false }),
} satisfies Record<string, () => ConnectorState>;
type From = keyof typeof from;

const start: ConnectorEvent = { type: 'start' };
const stop: ConnectorEvent = { type: 'stop', nowMs: T };
const reserve = (minutes: number): ConnectorEvent => ({ type: 'reserve', minutes, nowMs: T });
const cancel: ConnectorEvent = { type: 'cancel-reservation' };
const limit = (amps: number): ConnectorEvent => ({ type: 'set-current-limit', amps });
const plug: ConnectorEvent = { type: 'plug' };
const unplug: ConnectorEvent = { type: 'unplug' };
const fault: ConnectorEvent = { type: 'fault', code: 3 };
const clear: ConnectorEvent = { type: 'clear-fault' };
const inoperative: ConnectorEvent = { type: 'set-operative', operative: false };
const operative: ConnectorEvent = { type: 'set-operative', operative: true };
const tick = (nowMs: number): ConnectorEvent => ({ type: 'tick', nowMs, finishingMs: 30_000 });

/** [from, event, the status after, or how it is refused]. */
const table: Array<[From, ConnectorEvent, ConnectorStatus | { refused: RefusalKind }]> = [
  // available
  ['available', start, 'preparing'],
  ['available', stop, { refused: 'state' }],
  ['available', reserve(10), 'reserved'],
  ['available', reserve(1441), { refused: 'value' }],
  ['available', reserve(0), { refused: 'value' }],
  ['available', cancel, 'available'],
  ['available', limit(16), 'available'],
  ['available', limit(5.9), { refused: 'value' }],
  ['available', limit(32.1), { refused: 'value' }],
  ['available', plug, 'preparing'],
  ['available', unplug, { refused: 'conflict' }],
  ['available', fault, 'faulted'],
  ['available', inoperative, 'unavailable'],
  ['available', tick(T), 'available'],
  // preparing: a car plugged in, no start yet
  ['preparing (car)', start, 'charging'],
  ['preparing (car)', stop, 'preparing'],
  ['preparing (car)', reserve(10), { refused: 'state' }],
  ['preparing (car)', plug, { refused: 'conflict' }],
  ['preparing (car)', unplug, 'available'],
  ['preparing (car)', fault, 'faulted'],
  ['preparing (car)', inoperative, 'unavailable'],
  // preparing: started, waiting for a car
  ['preparing (authorized)', plug, 'charging'],
  ['preparing (authorized)', start, 'preparing'],
  ['preparing (authorized)', stop, 'available'],
  ['preparing (authorized)', unplug, { refused: 'conflict' }],
  // charging
  ['charging', start, 'charging'],
  ['charging', stop, 'finishing'],
  ['charging', reserve(10), { refused: 'state' }],
  ['charging', cancel, 'charging'],
  ['charging', limit(6), 'charging'],
  ['charging', plug, { refused: 'conflict' }],
  ['charging', unplug, 'available'],
  ['charging', fault, 'faulted'],
  ['charging', inoperative, { refused: 'conflict' }],
  // finishing
  ['finishing', start, { refused: 'state' }],
  ['finishing', stop, 'finishing'],
  ['finishing', reserve(10), { refused: 'state' }],
  ['finishing', unplug, 'available'],
  ['finishing', tick(T + 29_999), 'finishing'],
  ['finishing', tick(T + 30_000), 'available'],
  ['finishing', fault, 'faulted'],
  ['finishing', inoperative, 'unavailable'],
  // reserved
  ['reserved', start, 'preparing'],
  ['reserved', stop, { refused: 'state' }],
  ['reserved', reserve(5), 'reserved'],
  ['reserved', cancel, 'available'],
  ['reserved', plug, 'reserved'],
  ['reserved', tick(T + 10 * MIN - 1), 'reserved'],
  ['reserved', tick(T + 10 * MIN), 'available'],
  ['reserved', fault, 'faulted'],
  ['reserved', inoperative, 'unavailable'],
  ['reserved (car)', start, 'charging'],
  ['reserved (car)', cancel, 'preparing'],
  ['reserved (car)', tick(T + 10 * MIN), 'preparing'],
  // faulted
  ['faulted', start, { refused: 'state' }],
  ['faulted', stop, { refused: 'state' }],
  ['faulted', reserve(10), { refused: 'state' }],
  ['faulted', cancel, 'faulted'],
  ['faulted', limit(10), 'faulted'],
  ['faulted', plug, 'faulted'],
  ['faulted', clear, 'available'],
  ['faulted (car)', clear, 'preparing'],
  ['faulted (car)', unplug, 'faulted'],
  ['faulted', inoperative, 'faulted'],
  // unavailable
  ['unavailable', start, { refused: 'state' }],
  ['unavailable', stop, { refused: 'state' }],
  ['unavailable', reserve(10), { refused: 'state' }],
  ['unavailable', plug, 'unavailable'],
  ['unavailable', operative, 'available'],
  ['unavailable', fault, 'faulted'],
];

describe('connector state machine (GridLink charger profile, OCPP 1.6 statuses)', () => {
  it.each(table)('%s + %o → %o', (name, event, expected) => {
    const t = transition(from[name](), event);
    if (typeof expected === 'string') {
      expect(t).toMatchObject({ ok: true });
      if (t.ok) expect(connectorStatus(t.state)).toBe(expected);
    } else {
      expect(t).toMatchObject({ ok: false, kind: expected.refused, reason: expect.any(String) });
    }
  });

  it('every status is reached, and left, by some row of the table', () => {
    const reached = new Set(table.map(([, , to]) => to).filter((s) => typeof s === 'string'));
    const left = new Set(table.map(([f]) => connectorStatus(from[f]())));
    for (const s of [
      'available',
      'preparing',
      'charging',
      'finishing',
      'reserved',
      'faulted',
      'unavailable',
    ]) {
      expect(reached).toContain(s);
      expect(left).toContain(s);
    }
  });

  it('charge_control reads back the last command accepted; a refusal changes nothing', () => {
    let s = initialConnectorState();
    expect(s.lastCommand).toBe(0);
    const refused = transition(s, stop);
    expect(refused.ok).toBe(false);
    s = (transition(s, start) as { state: ConnectorState }).state;
    expect(s.lastCommand).toBe(1);
    s = (transition(s, plug) as { state: ConnectorState }).state;
    s = (transition(s, stop) as { state: ConnectorState }).state;
    expect(s).toMatchObject({ lastCommand: 2, session: 'finishing', finishingSinceMs: T });
  });

  it('a reservation reads back whole minutes left, rounded up, and ends at 0', () => {
    const s = (transition(initialConnectorState(), reserve(3)) as { state: ConnectorState }).state;
    expect(reservationMinutesLeft(s, T)).toBe(3);
    expect(reservationMinutesLeft(s, T + 1)).toBe(3);
    expect(reservationMinutesLeft(s, T + MIN)).toBe(2);
    expect(reservationMinutesLeft(s, T + 3 * MIN - 1)).toBe(1);
    expect(reservationMinutesLeft(s, T + 3 * MIN)).toBe(0);
    // start clears the reservation: "returns to available at 0 unless a session started".
    const started = (transition(s, start) as { state: ConnectorState }).state;
    expect(started.reservedUntilMs).toBeNull();
  });

  it('a fault ends the session and drops authorization and reservation; clearing it does not resume', () => {
    const charging = from.charging();
    const faulted = (transition(charging, fault) as { state: ConnectorState }).state;
    expect(faulted).toMatchObject({ faultCode: 3, session: 'none', vehicle: true });
    const back = (transition(faulted, clear) as { state: ConnectorState }).state;
    expect(connectorStatus(back)).toBe('preparing');
  });

  it('the finishing timeout unplugs the car (the driver leaves)', () => {
    const t = transition(from.finishing(), tick(T + 30_000));
    expect(t.ok && t.state).toMatchObject({ vehicle: false, session: 'none' });
  });
});
