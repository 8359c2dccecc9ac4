import { z } from 'zod';

/** A device the central knows an edge has, and its profile when it knows that too. */
export interface KnownDevice {
  deviceId: string;
  profile?: string;
}

// Read loosely: only the keys used here; the edge validates the whole config and status.
const desiredDevices = z.object({
  devices: z.array(z.looseObject({ id: z.string(), profile: z.string().optional() })).optional(),
});
const statusDevices = z.object({
  devices: z
    .array(z.looseObject({ deviceId: z.string(), profile: z.string().optional() }))
    .optional(),
});

/**
 * The devices of an edge as its desired configs name them (with their profiles) and as its last
 * status reports them. For the profile, the first config that names the device wins (callers
 * pass the running config first), then the status.
 */
export function knownDevices(
  desiredConfigs: readonly unknown[],
  status: unknown,
): ReadonlyMap<string, KnownDevice> {
  const map = new Map<string, KnownDevice>();
  const add = (deviceId: string, profile: string | undefined) => {
    const known = map.get(deviceId);
    if (!known) map.set(deviceId, { deviceId, ...(profile ? { profile } : {}) });
    else if (!known.profile && profile) known.profile = profile;
  };
  for (const config of desiredConfigs) {
    const parsed = desiredDevices.safeParse(config ?? {});
    for (const d of parsed.success ? (parsed.data.devices ?? []) : []) add(d.id, d.profile);
  }
  const fromStatus = statusDevices.safeParse(status ?? {});
  for (const d of fromStatus.success ? (fromStatus.data.devices ?? []) : [])
    add(d.deviceId, d.profile);
  return map;
}
