export {
  bindPendingDevice,
  type CustomerRef,
  customerIdOf,
  listPendingDevices,
  type PendingList,
  type PendingView,
  provisionedEntry,
} from './pending.js';
export {
  derivedDeviceId,
  type ProvisionInput,
  type ProvisioningControl,
  type ProvisioningDeps,
  type ProvisionResult,
  provisionPushMeter,
  withProvisioned,
} from './provision.js';
