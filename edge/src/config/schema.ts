import { formatZodIssues, GridlinkError, idSchema } from '@gridlink/shared';
import { z } from 'zod';

const modbusTcpDevice = z
  .object({
    id: idSchema,
    profile: z.string().min(1),
    driver: z.literal('modbus-tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
    /** Modbus unit identifier (Modbus Messaging on TCP/IP §4.4.1.1): 1-247 behind a gateway, 255/0 native. */
    unitId: z.number().int().min(0).max(255).default(1),
    intervalMs: z.number().int().min(100).default(5000),
    timeoutMs: z.number().int().min(10).max(60_000).default(1000),
    retries: z.number().int().min(0).max(5).default(1),
    /** Consecutive failed polls before the device is reported offline. */
    offlineAfter: z.number().int().min(1).default(3),
    /** Unused registers a block read may span to join two fields. */
    maxGap: z.number().int().min(0).max(100).default(10),
  })
  .strict();

export const edgeConfigSchema = z
  .object({
    edgeId: idSchema,
    /** Where the reading log lives; created on first run. */
    dataDir: z.string().min(1).default('data/edge'),
    /** Bumped by the central's remote configuration; reported back in status. */
    configVersion: z.number().int().min(0).default(0),
    mqtt: z
      .object({
        url: z.string().regex(/^mqtts?:\/\/.+/, 'must be an mqtt:// or mqtts:// URL'),
        username: z.string().min(1).optional(),
        password: z.string().min(1),
        keepaliveS: z.number().int().min(5).max(3600).default(30),
      })
      .strict(),
    log: z
      .object({
        /** fsync each group commit: survives power loss, costs a disk flush per poll cycle. */
        sync: z.boolean().default(true),
        maxBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .default(256 * 1024 * 1024),
        maxAgeDays: z.number().min(1).default(30),
      })
      .strict()
      .prefault({}),
    uplink: z
      .object({
        maxReadings: z.number().int().min(1).max(5000).default(500),
        maxBytes: z
          .number()
          .int()
          .min(4096)
          .default(256 * 1024),
        maxDelayMs: z.number().int().min(0).default(1000),
        window: z.number().int().min(1).max(64).default(4),
        resendAfterMs: z.number().int().min(100).default(10_000),
      })
      .strict()
      .prefault({}),
    statusIntervalMs: z.number().int().min(1000).default(30_000),
    devices: z.array(z.discriminatedUnion('driver', [modbusTcpDevice])).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.devices.forEach((d, i) => {
      if (seen.has(d.id))
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'id'],
          message: `duplicate device id ${d.id}`,
        });
      seen.add(d.id);
    });
  });

export type EdgeConfig = z.output<typeof edgeConfigSchema>;
export type EdgeConfigInput = z.input<typeof edgeConfigSchema>;
export type DeviceConfig = EdgeConfig['devices'][number];

export function parseEdgeConfig(input: unknown, source = 'edge config'): EdgeConfig {
  const parsed = edgeConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new GridlinkError('GL_CONFIG_INVALID', `${source}: ${formatZodIssues(parsed.error)}`);
  return Object.freeze(parsed.data);
}
