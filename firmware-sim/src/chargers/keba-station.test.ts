import { describe, expect, it } from 'vitest';
import {
  initialKebaState,
  KEBA_STATE,
  type KebaEvent,
  type KebaStationState,
  kebaPlug,
  kebaState,
  kebaTransition,
  offeredCurrentMa,
} from './keba-station.js';

const apply = (s: KebaStationState, ...events: KebaEvent[]): KebaStationState =>
  events.reduce((state, e) => {
    const t = kebaTransition(state, e);
    if (!t.ok) throw new Error(t.reason);
    return t.state;
  }, s);

describe('KEBA station state machine', () => {
  it('State follows the facts: not ready without a vehicle, charging, ready when full, suspended, error', () => {
    const idle = initialKebaState(32_000);
    expect(kebaState(idle, 0, false)).toBe(KEBA_STATE.notReady);
    expect(kebaPlug(idle)).toBe(1); // fixed cable at the station, nothing else
    const plugged = apply(idle, { type: 'plug' });
    expect(kebaPlug(plugged)).toBe(7); // cable at station + locked + vehicle
    expect(kebaState(plugged, 0, true)).toBe(KEBA_STATE.charging);
    expect(kebaState(plugged, 0, false)).toBe(KEBA_STATE.ready); // the vehicle takes nothing
    expect(kebaState(apply(plugged, { type: 'enable', on: false }), 0, true)).toBe(
      KEBA_STATE.suspended,
    );
    expect(kebaState(apply(plugged, { type: 'current', mA: 0 }), 0, true)).toBe(
      KEBA_STATE.suspended,
    );
    expect(kebaState(apply(plugged, { type: 'fault', code: 7 }), 0, true)).toBe(KEBA_STATE.error);
  });

  it('the offered current is the user current capped by the hardware, 0 when it offers nothing', () => {
    const s = apply(initialKebaState(16_000), { type: 'current', mA: 20_000 });
    expect(offeredCurrentMa(s, 0)).toBe(16_000);
    expect(offeredCurrentMa(apply(s, { type: 'current', mA: 10_000 }), 0)).toBe(10_000);
    expect(offeredCurrentMa(apply(s, { type: 'enable', on: false }), 0)).toBe(0);
    const limited = apply(s, { type: 'energy-limit', value: 100_000 });
    expect(offeredCurrentMa(limited, 99_999)).toBe(16_000);
    expect(offeredCurrentMa(limited, 100_000)).toBe(0); // the limit ends the session
  });

  it.each([
    [{ type: 'current', mA: 5999 }, 'value'],
    [{ type: 'current', mA: 63_001 }, 'value'],
    [{ type: 'current', mA: 6000.5 }, 'value'],
    [{ type: 'energy-limit', value: -1 }, 'value'],
    [{ type: 'energy-limit', value: 1_000_000_000 }, 'value'],
    [{ type: 'fault', code: 0 }, 'value'],
    [{ type: 'unlock', charging: true }, 'state'],
    [{ type: 'unplug' }, 'conflict'],
  ] as Array<[KebaEvent, string]>)('%j is refused (%s) and changes nothing', (event, kind) => {
    const t = kebaTransition(initialKebaState(), event);
    expect(t).toMatchObject({ ok: false, kind });
  });

  it('unlock releases the lock when not charging; a new vehicle locks again', () => {
    const plugged = apply(initialKebaState(), { type: 'plug' }, { type: 'enable', on: false });
    const unlocked = apply(plugged, { type: 'unlock', charging: false });
    expect(kebaPlug(unlocked)).toBe(5);
    expect(kebaPlug(apply(unlocked, { type: 'unplug' }, { type: 'plug' }))).toBe(7);
    expect(kebaTransition(plugged, { type: 'plug' })).toMatchObject({ ok: false });
  });
});
