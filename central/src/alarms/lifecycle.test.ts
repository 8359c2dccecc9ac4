import { describe, expect, it } from 'vitest';
import {
  type AlarmEvent,
  type AlarmState,
  alarmEvents,
  alarmStates,
  isAcknowledged,
  isActiveState,
  nextAlarmState,
} from './lifecycle.js';
import { classifyVoltage, PRODIST_BANDS, worstPhase } from './voltage.js';

describe('alarm lifecycle', () => {
  // Every (state, event) pair: the next state, or — when the lifecycle forbids it.
  const table: Record<AlarmState, Record<AlarmEvent, AlarmState | undefined>> = {
    ACTIVE_UNACK: { raise: 'ACTIVE_UNACK', ack: 'ACTIVE_ACK', clear: 'CLEARED_UNACK' },
    ACTIVE_ACK: { raise: 'ACTIVE_ACK', ack: undefined, clear: 'CLEARED_ACK' },
    CLEARED_UNACK: { raise: undefined, ack: 'CLEARED_ACK', clear: undefined },
    CLEARED_ACK: { raise: undefined, ack: undefined, clear: undefined },
  };
  const cases = alarmStates.flatMap((s) => alarmEvents.map((e) => [s, e, table[s][e]] as const));

  it('the table covers all 12 pairs', () => expect(cases).toHaveLength(12));

  it.each(cases)('%s + %s → %s', (state, event, next) => {
    expect(nextAlarmState(state, event)).toBe(next);
  });

  it.each([
    ['ACTIVE_UNACK', true, false],
    ['ACTIVE_ACK', true, true],
    ['CLEARED_UNACK', false, false],
    ['CLEARED_ACK', false, true],
  ] as const)('%s: active=%s acknowledged=%s', (state, active, acked) => {
    expect(isActiveState(state)).toBe(active);
    expect(isAcknowledged(state)).toBe(acked);
  });

  it('CLEARED_ACK is final and reachable from every state', () => {
    for (const from of alarmStates) {
      const seen = new Set<AlarmState>([from]);
      const queue: AlarmState[] = [from];
      for (let s = queue.shift(); s; s = queue.shift()) {
        for (const e of alarmEvents) {
          const next = nextAlarmState(s, e);
          if (next && !seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      expect(seen.has('CLEARED_ACK')).toBe(true);
    }
    expect(alarmEvents.map((e) => nextAlarmState('CLEARED_ACK', e))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('voltage classes (PRODIST Módulo 8, 220/127 V)', () => {
  it.each([
    [127, 'adequate'],
    [117, 'adequate'],
    [133, 'adequate'],
    [116.9, 'precarious'],
    [110, 'precarious'],
    [133.1, 'precarious'],
    [135, 'precarious'],
    [109.9, 'critical'],
    [135.1, 'critical'],
    [220, 'adequate'],
    [202, 'adequate'],
    [231, 'adequate'],
    [201.9, 'precarious'],
    [191, 'precarious'],
    [231.1, 'precarious'],
    [233, 'precarious'],
    [190.9, 'critical'],
    [233.1, 'critical'],
    [250, 'critical'],
  ] as const)('%s V is %s', (v, cls) => expect(classifyVoltage(v)).toBe(cls));

  it('reports the worst phase and ignores absent or unconnected phases', () => {
    expect(worstPhase({ voltage_l1: 221, voltage_l2: 0, energy_import: 5 })).toBeUndefined();
    expect(worstPhase({ voltage_l1: 199, voltage_l2: 240, voltage_l3: 220 })).toEqual({
      phase: 'voltage_l2',
      volts: 240,
      nominal: 220,
      class: 'critical',
    });
    expect(worstPhase({ voltage_l1: 115 }, PRODIST_BANDS)).toMatchObject({
      nominal: 127,
      class: 'precarious',
    });
  });
});
