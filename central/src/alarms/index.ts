export {
  BILLING_CLOSE_FAILED,
  clearBillingCloseFailed,
  raiseBillingCloseFailed,
} from './billing-close.js';
export { type AlarmsConfig, alarmRules, alarmsConfigSchema } from './config.js';
export {
  type AlarmEvent,
  type AlarmSeverity,
  type AlarmState,
  alarmEvents,
  alarmSeverities,
  alarmStates,
  isAcknowledged,
  isActiveState,
  nextAlarmState,
} from './lifecycle.js';
export {
  type AlarmPublisher,
  type AlarmTransition,
  alarmTopic,
  mqttAlarmPublisher,
} from './publisher.js';
export {
  ALARM_TYPES,
  type AlarmRulesConfig,
  type ConditionRule,
  conditionRules,
  DEFAULT_RULES,
  type EventRule,
  eventRules,
} from './rules.js';
export {
  type AlarmCondition,
  type AlarmFilter,
  type AlarmMessage,
  type AlarmView,
  alarmView,
  clearResolved,
  findAlarm,
  listAlarms,
  type Notify,
  publishTransition,
  raiseAlarm,
  transitionAlarm,
} from './store.js';
export { type SweepOptions, type SweepResult, sweepAlarms } from './sweep.js';
export {
  bandFor,
  classifyVoltage,
  PHASE_KEYS,
  PRODIST_BANDS,
  type VoltageBand,
  type VoltageClass,
  voltageSeverity,
  worstPhase,
} from './voltage.js';
