export { type ActiveFault, DeviceFaults } from './device-faults.js';
export { FAULT_MODES, type FaultMode, type FaultSpec, parseFaultSpec } from './fault-spec.js';
