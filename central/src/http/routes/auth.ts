import { createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { mintToken } from '../../auth/index.js';
import { authenticateCustomer } from '../../customers/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import { jsonBody, storableUrl } from '../json-body.js';
import { openApiApp } from '../openapi-app.js';
import { errorResponses } from '../schemas.js';

const loginRoute = createRoute({
  method: 'post',
  path: '/login',
  tags: ['auth'],
  summary: 'Customer sign-in with CPF/CNPJ and password → an opaque session token',
  request: {
    body: {
      content: {
        'application/json': {
          schema: z.object({
            document: z.string().min(1).max(32),
            password: z.string().min(1).max(200),
          }),
        },
      },
      required: true,
    },
  },
  responses: {
    200: {
      description: 'A bearer token for the customer role',
      content: {
        'application/json': {
          schema: z.object({
            token: z.string(),
            customerId: z.number().int(),
            expiresAt: z.string().datetime(),
          }),
        },
      },
    },
    ...errorResponses,
  },
});

export interface AuthRouteOptions {
  sessionTtlMs: number;
  now: () => Date;
}

/** Public: the only `/api/v1` route without a bearer token. */
export function authRoutes(db: Kysely<Schema>, options: AuthRouteOptions) {
  const app = openApiApp();
  app.use('*', bodyLimit({ maxSize: 4096 }));
  app.use('*', storableUrl());
  app.use('*', jsonBody());
  app.openapi(loginRoute, async (c) => {
    const { document, password } = c.req.valid('json');
    const customerId = await authenticateCustomer(db, document, password);
    // One answer for unknown document, bad document, no password and wrong password.
    if (customerId === undefined)
      throw httpError('GL_HTTP_UNAUTHORIZED', 'document or password is wrong');
    const now = options.now();
    const token = await mintToken(db, {
      role: 'customer',
      subject: String(customerId),
      label: 'customer session',
      ttlMs: options.sessionTtlMs,
      now,
    });
    const expiresAt = new Date(now.getTime() + options.sessionTtlMs).toISOString();
    return c.json({ token, customerId, expiresAt }, 200);
  });
  return app;
}
