import { z } from 'zod';
import { idSchema } from '../topics/index.js';
import { pendingDeviceSchema } from './provisioning.js';
import { epochSchema } from './telemetry.js';

/** What a device is, as its edge knows it from the device's profile or driver. */
export const deviceKindSchema = z.enum(['meter', 'charger', 'car', 'other']);
export type DeviceKind = z.infer<typeof deviceKindSchema>;

export const deviceHealthSchema = z.object({
  deviceId: idSchema,
  /** Absent from edges older than the device registry; the central then takes a meter. */
  kind: deviceKindSchema.optional(),
  /** The edge driver serving it (`modbus-tcp`, `keba-udp`, …). */
  driver: z.string().max(64).optional(),
  /** The register-map profile id (`shared/profiles`), for profile-driven devices. */
  profile: z.string().max(64).optional(),
  online: z.boolean(),
  lastOkAt: z.number().int().nullable(),
  consecutiveFailures: z.number().int().min(0),
  polls: z.number().int().min(0),
  failures: z.number().int().min(0),
  overruns: z.number().int().min(0),
  lastError: z.string().nullable(),
});
export type DeviceHealth = z.infer<typeof deviceHealthSchema>;

/** A device's health before its first poll or message: offline, nothing counted yet. */
export function initialDeviceHealth(deviceId: string): DeviceHealth {
  return {
    deviceId,
    online: false,
    lastOkAt: null,
    consecutiveFailures: 0,
    polls: 0,
    failures: 0,
    overruns: 0,
    lastError: null,
  };
}

/**
 * One link, bus or listener of the edge with its counters (transactions, timeouts, crc_errors…).
 * Counter names are snake_case on the wire; the edge names them so where they are counted.
 */
export const channelHealthSchema = z.object({
  driver: z.string().max(64),
  channel: z.string().max(200),
  counters: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), z.number()),
});
export type ChannelHealth = z.infer<typeof channelHealthSchema>;

/**
 * `gl/v1/edges/{edgeId}/status`, retained. The MQTT last will publishes `{edgeId, online:false}`
 * so every field but those two is optional.
 */
export const edgeStatusSchema = z.object({
  edgeId: idSchema,
  online: z.boolean(),
  at: z.number().int().optional(),
  agentVersion: z.string().max(64).optional(),
  configVersion: z.number().int().min(0).optional(),
  log: z
    .object({
      epoch: epochSchema,
      lastSeq: z.number().int().min(0),
      ackedUpTo: z.number().int().min(0),
      pending: z.number().int().min(0),
      dropped: z.number().int().min(0),
    })
    .optional(),
  devices: z.array(deviceHealthSchema).max(10_000).optional(),
  channels: z.array(channelHealthSchema).max(10_000).optional(),
  /** Push meters that announced themselves unknown, held until bound (docs/PROVISIONING.md). */
  pending: z.array(pendingDeviceSchema).max(1_000).optional(),
});
export type EdgeStatus = z.infer<typeof edgeStatusSchema>;
