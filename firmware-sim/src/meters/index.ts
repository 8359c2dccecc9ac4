export { dailyShape, dayOfWeek, hourOfDay, type LoadKind } from './daily-load.js';
export { MeterModel, type MeterModelOptions } from './meter-model.js';
export { ProfileRegisterBank, type ProfileRegisterBankOptions } from './profile-register-bank.js';
export { SimulatedMeter, type SimulatedMeterOptions } from './simulated-meter.js';
