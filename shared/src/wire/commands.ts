import { z } from 'zod';
import { idSchema } from '../topics/index.js';

/**
 * `gl/v1/edges/{edgeId}/commands` (central → edge, QoS 1): run a profile's named command on a
 * device. `id` correlates the result; a redelivered id is answered again, not executed again.
 */
export const deviceCommandSchema = z
  .object({
    id: z.string().min(1).max(64),
    deviceId: idSchema,
    command: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be snake_case, 1-64 chars'),
    value: z.number().finite().optional(),
  })
  .strict();
export type DeviceCommand = z.infer<typeof deviceCommandSchema>;

/** `gl/v1/edges/{edgeId}/commands/result` (edge → central, QoS 1). */
export const commandResultSchema = z
  .object({
    id: z.string().min(1).max(64),
    ok: z.boolean(),
    error: z.object({ code: z.string().min(1), message: z.string().max(500) }).optional(),
    at: z.number().int().min(0).optional(),
  })
  .strict();
export type CommandResult = z.infer<typeof commandResultSchema>;

/**
 * Keys of the edge config a desired config may set; identity, MQTT, log and uplink settings stay
 * local. The central refuses any other key before it publishes; the edge checks again.
 */
export const REMOTE_CONFIG_KEYS = [
  'devices',
  'buses',
  'udp',
  'tcpJson',
  'keba',
  'metrics',
  'statusIntervalMs',
  'provisioned',
] as const;
export type RemoteConfigKey = (typeof REMOTE_CONFIG_KEYS)[number];

/**
 * `gl/v1/edges/{edgeId}/config` (central → edge, retained): the desired device-side config.
 * `config` holds the remotely managed keys of the edge config (devices, buses, listeners,
 * metrics, statusIntervalMs); the edge validates it with its own schema. Identity, MQTT, log and
 * uplink settings stay local, so a remote config can never cut an edge off.
 */
export const desiredConfigSchema = z
  .object({
    version: z.number().int().min(1),
    config: z.record(z.string(), z.unknown()),
  })
  .strict();
export type DesiredConfig = z.infer<typeof desiredConfigSchema>;

/** `gl/v1/edges/{edgeId}/config/applied` (edge → central): the outcome of a desired config. */
export const configAppliedSchema = z
  .object({
    version: z.number().int().min(0),
    ok: z.boolean(),
    /** The version now running (the old one when this one was refused). */
    running: z.number().int().min(0),
    error: z.object({ code: z.string().min(1), message: z.string().max(1000) }).optional(),
    at: z.number().int().min(0).optional(),
  })
  .strict();
export type ConfigApplied = z.infer<typeof configAppliedSchema>;
