import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  issueToken,
  listTokens,
  MAX_TOKEN_TTL_MS,
  mintableRoles,
  revokeToken,
  roles,
} from '../../auth/index.js';
import type { Schema } from '../../storage/index.js';
import { tokenCursor } from '../cursors.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, PageQuery, security } from '../schemas.js';

const Token = z
  .object({
    id: z.string().openapi({ example: '3f2a9c0d1e4b5a69' }),
    role: z.enum(roles),
    subject: z.string().nullable().openapi({ description: 'The customer id of a session' }),
    label: z.string().nullable(),
    createdAt: z.string().datetime(),
    expiresAt: z.string().datetime().nullable(),
    current: z.boolean().openapi({ description: 'The token this request presents' }),
  })
  .openapi('Token');

/** Admins see and revoke every token; a customer its own sessions (access table: token). */
const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['auth'],
  summary: 'Live tokens (admin: all; a customer: its own sessions), never their secrets',
  security,
  policy: { resource: 'token', action: 'list' },
  request: { query: z.object({ limit: PageQuery.shape.limit, cursor: tokenCursor() }) },
  responses: {
    200: json(z.object({ items: z.array(Token), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const CreateBody = z
  .object({
    role: z.enum(mintableRoles).openapi({ description: 'Customers get tokens by signing in' }),
    subject: z.string().optional().openapi({
      description:
        "The driver id of a driver token (required there); the charging company of an operator token (optional: none = every company); the peer central's federation name of a peer token (required, docs/FEDERATION.md); refused elsewhere",
    }),
    label: z.string().min(1).max(100).optional().openapi({ example: 'billing exporter' }),
    expiresInSeconds: z
      .number()
      .int()
      .min(60)
      .max(MAX_TOKEN_TTL_MS / 1000)
      .optional()
      .openapi({ description: 'Lifetime; absent = until revoked' }),
  })
  .strict()
  .openapi('TokenRequest');

const createOneRoute = policyRoute({
  method: 'post',
  path: '/',
  tags: ['auth'],
  summary:
    'Create an operator, admin, driver, service or peer token (admin); the secret is shown once',
  security,
  policy: { resource: 'token', action: 'create' },
  request: { body: { content: { 'application/json': { schema: CreateBody } }, required: true } },
  responses: {
    201: json(
      Token.omit({ current: true }).extend({
        token: z.string().openapi({ description: 'The bearer token; only its hash is kept' }),
      }),
      'Created; `token` is not shown again',
    ),
    ...errorResponses,
  },
});

const revokeRoute = policyRoute({
  method: 'delete',
  path: '/{tokenId}',
  tags: ['auth'],
  summary: 'Revoke a token (admin: any; a customer: one of its own sessions)',
  security,
  policy: { resource: 'token', action: 'delete' },
  request: {
    params: z.object({
      tokenId: z
        .string()
        .regex(/^[a-f0-9]{16}$/, 'expected a token id (16 hex digits, the `glt_<id>_` part)')
        .openapi({ param: { name: 'tokenId', in: 'path' }, example: '3f2a9c0d1e4b5a69' }),
    }),
  },
  responses: { 204: { description: 'Revoked' }, ...errorResponses },
});

export function tokenRoutes(db: Kysely<Schema>, options: { now: () => Date }) {
  const app = openApiApp();
  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const who = c.get('principal');
    const page = await listTokens(db, who, { limit, after: cursor }, options.now());
    return c.json(
      { items: page.items.map((t) => ({ ...t, current: t.id === who.tokenId })), next: page.next },
      200,
    );
  });
  app.openapi(createOneRoute, async (c) => {
    const body = c.req.valid('json');
    const { token, view } = await issueToken(
      db,
      {
        role: body.role,
        ...(body.subject === undefined ? {} : { subject: body.subject }),
        ...(body.label === undefined ? {} : { label: body.label }),
        ...(body.expiresInSeconds === undefined ? {} : { ttlMs: body.expiresInSeconds * 1000 }),
      },
      options.now(),
    );
    return c.json({ ...view, token }, 201);
  });
  app.openapi(revokeRoute, async (c) => {
    const { tokenId } = c.req.valid('param');
    if (!(await revokeToken(db, c.get('principal'), tokenId, options.now())))
      throw httpError('GL_NOT_FOUND', `token ${tokenId} not found`);
    return c.body(null, 204);
  });
  return app;
}
