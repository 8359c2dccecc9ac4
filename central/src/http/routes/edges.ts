import { idSchema } from '@gridlink/shared';
import { createRoute, z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { listEdges, upsertEdgeCredential } from '../../edges/index.js';
import type { Schema } from '../../storage/index.js';
import { requireRole } from '../auth.js';
import { openApiApp } from '../openapi-app.js';
import { errorResponses } from '../schemas.js';

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

const listRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['edges'],
  summary: 'List registered edges with their last status',
  security: [{ bearer: [] }],
  responses: {
    200: {
      description: 'Edges',
      content: { 'application/json': { schema: z.object({ items: z.array(Edge) }) } },
    },
    ...errorResponses,
  },
});

const credentialRoute = createRoute({
  method: 'put',
  path: '/{edgeId}/credential',
  tags: ['edges'],
  summary: 'Register an edge, or rotate its MQTT secret. The secret is shown once.',
  security: [{ bearer: [] }],
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

export function edgeRoutes(db: Kysely<Schema>) {
  const app = openApiApp();
  app.use('*', requireRole('admin', 'operator'));
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
  app.use('/:edgeId/credential', requireRole('admin'));
  app.openapi(credentialRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const secret = await upsertEdgeCredential(db, edgeId);
    return c.json({ edgeId, username: edgeId, secret }, 200);
  });
  return app;
}
