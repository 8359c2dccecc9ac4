import { idSchema } from '@gridlink/shared';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { ControlPlane } from '../../control/index.js';
import { listEdges, upsertEdgeCredential } from '../../edges/index.js';
import type { Schema } from '../../storage/index.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses } from '../schemas.js';
import { addEdgeControlRoutes } from './edge-control.js';
import { addEdgeDeviceRoutes } from './edge-devices.js';
import { addPendingDeviceRoutes } from './pending-devices.js';
import { addQuarantineRoutes } from './quarantine.js';

const Edge = z
  .object({
    id: z.string(),
    createdAt: z.string().datetime(),
    lastSeenAt: z.string().datetime().nullable(),
    status: z.record(z.string(), z.unknown()).nullable(),
    /** The central's figures of the newest stream; quarantined readings: /{edgeId}/quarantine. */
    ingest: z
      .object({
        epoch: z.string(),
        upTo: z.number().int(),
        dropped: z.number().int(),
        quarantined: z.number().int(),
      })
      .nullable(),
  })
  .openapi('Edge');

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['edges'],
  summary: 'List registered edges with their last status',
  security: [{ bearer: [] }],
  policy: { resource: 'edge', action: 'list' },
  responses: {
    200: {
      description: 'Edges',
      content: { 'application/json': { schema: z.object({ items: z.array(Edge) }) } },
    },
    ...errorResponses,
  },
});

const credentialRoute = policyRoute({
  method: 'put',
  path: '/{edgeId}/credential',
  tags: ['edges'],
  summary: 'Register an edge, or rotate its MQTT secret. The secret is shown once.',
  security: [{ bearer: [] }],
  policy: { resource: 'edge', action: 'create' },
  request: { params: z.object({ edgeId: idSchema }) },
  responses: {
    200: {
      description: 'The MQTT credential: username = edgeId, password = secret',
      content: {
        'application/json': {
          schema: z.object({ edgeId: z.string(), username: z.string(), secret: z.string() }),
        },
      },
    },
    ...errorResponses,
  },
});

/**
 * `/edges`: the one sub-app of the prefix: edges, their quarantine, and (with a control plane)
 * their device commands and desired configs; each route declares its policy.
 */
export function edgeRoutes(
  db: Kysely<Schema>,
  options: { control?: ControlPlane; now?: () => Date } = {},
) {
  const app = openApiApp();
  app.openapi(listRoute, async (c) => {
    const edges = await listEdges(db);
    return c.json(
      {
        items: edges.map((e) => ({
          id: e.id,
          createdAt: e.createdAt.toISOString(),
          lastSeenAt: e.lastSeenAt?.toISOString() ?? null,
          status: (e.status as Record<string, unknown> | null) ?? null,
          ingest: e.ingest,
        })),
      },
      200,
    );
  });
  app.openapi(credentialRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const secret = await upsertEdgeCredential(db, edgeId);
    return c.json({ edgeId, username: edgeId, secret }, 200);
  });
  addQuarantineRoutes(app, db);
  addEdgeDeviceRoutes(app, db);
  if (options.control) addEdgeControlRoutes(app, db, options.control);
  if (options.control) {
    const now = options.now ?? (() => new Date());
    addPendingDeviceRoutes(app, db, { control: options.control, now: () => now().getTime() });
  }
  return app;
}
