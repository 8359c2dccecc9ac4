import { idSchema } from '@gridlink/shared';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { edgeQuarantine } from '../../ingest/index.js';
import type { Schema } from '../../storage/index.js';
import { idCursor } from '../cursors.js';
import { httpError } from '../errors.js';
import type { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, PageQuery, security } from '../schemas.js';

const StreamFigures = z
  .object({
    epoch: z.string(),
    upTo: z.number().int().openapi({ description: 'The high-water mark' }),
    dropped: z.number().int().openapi({ description: "The edge's drop counter as last reported" }),
    quarantined: z.number().int().openapi({ description: 'Readings set aside at ingest' }),
    updatedAt: z.string().datetime(),
  })
  .openapi('StreamFigures');

const QuarantinedReading = z
  .object({
    id: z.number().int(),
    epoch: z.string(),
    seq: z.number().int(),
    deviceId: z.string().nullable().openapi({ description: 'Null when not a valid id' }),
    reason: z.enum(['schema', 'time_before_window', 'time_after_window', 'value_not_finite']),
    message: z.string(),
    raw: z.string().openapi({ description: 'The reading as JSON, at most 4 KiB of it' }),
    rawBytes: z.number().int().openapi({ description: 'Length of the whole JSON text' }),
    receivedAt: z.string().datetime(),
  })
  .openapi('QuarantinedReading');

const listRoute = policyRoute({
  method: 'get',
  path: '/{edgeId}/quarantine',
  tags: ['edges'],
  summary: "An edge's readings set aside at ingest (newest first) and its streams' figures",
  security,
  policy: { resource: 'quarantine', action: 'list' },
  request: {
    params: z.object({ edgeId: idSchema }),
    query: z.object({
      limit: PageQuery.shape.limit,
      cursor: idCursor(),
    }),
  },
  responses: {
    200: json(
      z.object({
        edgeId: z.string(),
        streams: z.array(StreamFigures),
        items: z.array(QuarantinedReading),
        next: z.string().nullable(),
      }),
      'The streams and a page of quarantined readings',
    ),
    ...errorResponses,
  },
});

/** `GET /edges/{edgeId}/quarantine` on the `/edges` sub-app: what the ingest set aside (WIRE.md). */
export function addQuarantineRoutes(app: ReturnType<typeof openApiApp>, db: Kysely<Schema>): void {
  app.openapi(listRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const found = await edgeQuarantine(db, edgeId, { limit, before: cursor });
    if (!found) throw httpError('GL_EDGE_UNKNOWN', `no edge ${edgeId}`);
    return c.json({ edgeId, ...found }, 200);
  });
}
