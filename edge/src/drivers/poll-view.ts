import type { Profile } from '@gridlink/shared';
import type { PollSettings } from '../poller/index.js';

/**
 * What the poller reads of a device, from its profile: the readable fields only (write-only
 * registers such as KEBA's 5004-5014 would only earn an exception every poll), and no more
 * registers per request than the profile says the device serves (pure).
 */
export function pollView<D extends PollSettings>(
  device: D,
  profile: Profile,
): { device: D; profile: Profile } {
  const fields = profile.fields.filter((f) => f.readable !== false);
  const max = profile.maxRegisters;
  return {
    device:
      max === undefined
        ? device
        : { ...device, maxRegisters: Math.min(device.maxRegisters ?? 125, max) },
    profile: fields.length === profile.fields.length ? profile : { ...profile, fields },
  };
}
