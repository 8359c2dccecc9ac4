import { deviceKindSchema, idSchema } from '@gridlink/shared';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { listDevices } from '../../edges/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import type { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, security } from '../schemas.js';

const Device = z
  .object({
    deviceId: z.string(),
    kind: z.enum(deviceKindSchema.options).openapi({ description: 'Fixed when first seen' }),
    driver: z.string().nullable(),
    profile: z.string().nullable().openapi({ description: 'Register-map profile id, if any' }),
    firstSeenAt: z.string().datetime(),
    lastReportedAt: z
      .string()
      .datetime()
      .nullable()
      .openapi({ description: 'Last status that listed it (central time); null: telemetry only' }),
    lastOkAt: z
      .string()
      .datetime()
      .nullable()
      .openapi({ description: "The edge's last good poll or message of it, as last reported" }),
    online: z.boolean().nullable(),
  })
  .openapi('Device');

const listRoute = policyRoute({
  method: 'get',
  path: '/{edgeId}/devices',
  tags: ['edges'],
  summary: "An edge's devices with their kinds (meter, charger, car, other) and last health",
  security,
  policy: { resource: 'edge', action: 'read' },
  request: { params: z.object({ edgeId: idSchema }) },
  responses: {
    200: json(z.object({ edgeId: z.string(), items: z.array(Device) }), "The edge's devices"),
    ...errorResponses,
  },
});

/** `GET /edges/{edgeId}/devices` on the `/edges` sub-app: the device registry (docs/WIRE.md). */
export function addEdgeDeviceRoutes(app: ReturnType<typeof openApiApp>, db: Kysely<Schema>): void {
  app.openapi(listRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const devices = await listDevices(db, edgeId);
    if (!devices) throw httpError('GL_EDGE_UNKNOWN', `no edge ${edgeId}`);
    return c.json(
      {
        edgeId,
        items: devices.map((d) => ({
          deviceId: d.deviceId,
          kind: d.kind,
          driver: d.driver,
          profile: d.profile,
          firstSeenAt: d.firstSeenAt.toISOString(),
          lastReportedAt: d.lastReportedAt?.toISOString() ?? null,
          lastOkAt: d.lastOkAt?.toISOString() ?? null,
          online: d.online,
        })),
      },
      200,
    );
  });
}
