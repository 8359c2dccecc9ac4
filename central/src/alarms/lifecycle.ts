/**
 * The alarm lifecycle (ThingsBoard's model): an alarm is raised ACTIVE_UNACK; people acknowledge
 * it, the condition (or a person) clears it; CLEARED_ACK is final. Re-raising an active alarm
 * refreshes it in place; a cleared alarm is history, so the next occurrence is a new alarm.
 *
 *   ACTIVE_UNACK ──ack──► ACTIVE_ACK
 *        │clear               │clear
 *        ▼                    ▼
 *   CLEARED_UNACK ──ack──► CLEARED_ACK
 */
export const alarmStates = ['ACTIVE_UNACK', 'ACTIVE_ACK', 'CLEARED_UNACK', 'CLEARED_ACK'] as const;
export type AlarmState = (typeof alarmStates)[number];

export const alarmSeverities = ['CRITICAL', 'MAJOR', 'MINOR', 'WARNING'] as const;
export type AlarmSeverity = (typeof alarmSeverities)[number];

export const alarmEvents = ['raise', 'ack', 'clear'] as const;
export type AlarmEvent = (typeof alarmEvents)[number];

const TABLE: Record<AlarmState, Partial<Record<AlarmEvent, AlarmState>>> = {
  ACTIVE_UNACK: { raise: 'ACTIVE_UNACK', ack: 'ACTIVE_ACK', clear: 'CLEARED_UNACK' },
  ACTIVE_ACK: { raise: 'ACTIVE_ACK', clear: 'CLEARED_ACK' },
  CLEARED_UNACK: { ack: 'CLEARED_ACK' },
  CLEARED_ACK: {},
};

/** The next state, or undefined when `event` is not allowed in `state`. */
export function nextAlarmState(state: AlarmState, event: AlarmEvent): AlarmState | undefined {
  return TABLE[state][event];
}

export function isActiveState(state: AlarmState): boolean {
  return state === 'ACTIVE_UNACK' || state === 'ACTIVE_ACK';
}

export function isAcknowledged(state: AlarmState): boolean {
  return state === 'ACTIVE_ACK' || state === 'CLEARED_ACK';
}
