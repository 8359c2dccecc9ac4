export {
  derivedDeviceId,
  type ProvisionInput,
  type ProvisioningControl,
  type ProvisioningDeps,
  type ProvisionResult,
  provisionPushMeter,
  withProvisioned,
} from './provision.js';
