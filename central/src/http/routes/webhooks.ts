import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  type TargetPolicy,
  targetProblem,
} from '../../notifications/index.js';
import type { Schema } from '../../storage/index.js';
import { idCursor } from '../cursors.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, json, PageQuery, security } from '../schemas.js';

const Webhook = z
  .object({
    id: z.number().int(),
    name: z.string(),
    url: z.string(),
    createdBy: z.string(),
    createdAt: z.string().datetime(),
  })
  .openapi('Webhook');

const Delivery = z
  .object({
    id: z.number().int(),
    webhookId: z.number().int(),
    event: z.enum(['alarm.raised', 'alarm.cleared']),
    alarmId: z.number().int(),
    state: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        at: z.string().datetime(),
        status: z.number().int().nullable().openapi({ description: "The receiver's HTTP status" }),
        error: z.string().nullable(),
      }),
    ),
    nextAttemptAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
    finishedAt: z.string().datetime().nullable(),
  })
  .openapi('WebhookDelivery');

const createRoute = policyRoute({
  method: 'post',
  path: '/',
  tags: ['webhooks'],
  summary:
    'Register an alarm webhook: every alarm raise and clear is POSTed to `url`, signed with HMAC-SHA256 (docs/ALARMS.md). The secret is shown once.',
  security,
  policy: { resource: 'webhook', action: 'create' },
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              name: z.string().min(1).max(64),
              url: z.string().max(2048).openapi({ example: 'https://ops.example.com/gridlink' }),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    201: json(
      Webhook.extend({
        secret: z.string().openapi({ description: 'The HMAC key: shown only here' }),
      }),
      'Registered',
    ),
    ...errorResponses,
  },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['webhooks'],
  summary: 'Registered alarm webhooks (no secrets)',
  security,
  policy: { resource: 'webhook', action: 'list' },
  responses: { 200: json(z.object({ items: z.array(Webhook) }), 'All of them'), ...errorResponses },
});

const deleteRoute = policyRoute({
  method: 'delete',
  path: '/{id}',
  tags: ['webhooks'],
  summary: 'Delete an alarm webhook, its deliveries and their attempts',
  security,
  policy: { resource: 'webhook', action: 'delete' },
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

const deliveriesRoute = policyRoute({
  method: 'get',
  path: '/{id}/deliveries',
  tags: ['webhooks'],
  summary: 'Deliveries of one webhook, newest first, with every attempt',
  security,
  policy: { resource: 'webhook', action: 'read' },
  request: {
    params: IdParam,
    query: z.object({ limit: PageQuery.shape.limit, cursor: idCursor() }),
  },
  responses: {
    200: json(z.object({ items: z.array(Delivery), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

/** `/api/v1/webhooks` (docs/ALARMS.md, "Notifications"); staff only, by the access table. */
export function webhookRoutes(
  db: Kysely<Schema>,
  options: { now: () => Date; targets: TargetPolicy },
) {
  const app = openApiApp();
  app.openapi(createRoute, async (c) => {
    const { name, url } = c.req.valid('json');
    const problem = targetProblem(url, options.targets);
    if (problem)
      throw httpError('GL_VALIDATION', `url: ${problem}`, [{ path: 'url', message: problem }]);
    const who = c.get('principal');
    const hook = await createWebhook(db, {
      name,
      url,
      createdBy: `${who.role}:${who.tokenId}`,
      now: options.now(),
    });
    return c.json(hook, 201);
  });
  app.openapi(listRoute, async (c) => c.json({ items: await listWebhooks(db) }, 200));
  app.openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await deleteWebhook(db, id))) throw httpError('GL_NOT_FOUND', `webhook ${id} not found`);
    return c.body(null, 204);
  });
  app.openapi(deliveriesRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const page = await listDeliveries(db, id, { limit, before: cursor });
    if (!page) throw httpError('GL_NOT_FOUND', `webhook ${id} not found`);
    return c.json(page, 200);
  });
  return app;
}
