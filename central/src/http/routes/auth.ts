import { z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { customerIdOf } from '../../access/index.js';
import { type LoginThrottle, mintToken, revokePresentedToken } from '../../auth/index.js';
import { changePassword, customerDocument, signIn } from '../../customers/index.js';
import type { Schema } from '../../storage/index.js';
import { requireAuth } from '../auth.js';
import { clientAddress } from '../client-address.js';
import { httpError } from '../errors.js';
import { jsonBody, storableUrl } from '../json-body.js';
import { countThrottled, type LoginMetrics } from '../login-metrics.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, security } from '../schemas.js';
import { signInRateLimited, tooManySignIns } from '../sign-in-throttle.js';

const loginRoute = policyRoute({
  method: 'post',
  path: '/login',
  tags: ['auth'],
  summary: 'Customer sign-in with CPF/CNPJ and password → an opaque session token',
  policy: { public: 'sign-in: how a customer gets a token' },
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
    200: json(
      z.object({
        token: z.string(),
        customerId: z.number().int(),
        expiresAt: z.string().datetime(),
      }),
      'A bearer token for the customer role',
    ),
    ...errorResponses,
    ...tooManySignIns,
  },
});

export interface AuthRouteOptions {
  sessionTtlMs: number;
  now: () => Date;
  throttle: LoginThrottle;
  /** Peers whose `X-Forwarded-For` is believed (empty: the header is ignored). */
  trustedProxies: ReadonlySet<string>;
  metrics: LoginMetrics;
}

/** `/auth`: sign-in (the only public `/api/v1` route), sign-out and a customer's password. */
export function authRoutes(db: Kysely<Schema>, options: AuthRouteOptions) {
  const app = openApiApp();
  app.use('*', bodyLimit({ maxSize: 4096 }));
  app.use('*', storableUrl());
  app.use('*', jsonBody());
  const authenticated = requireAuth(db, options.now);

  app.openapi(loginRoute, async (c) => {
    const { document, password } = c.req.valid('json');
    const now = options.now();
    const address = clientAddress(c, options.trustedProxies);
    const result = await signIn(db, options.throttle, { document, password, address }, now);
    if (result.outcome === 'throttled') {
      countThrottled(options.metrics, result.scope);
      throw signInRateLimited(c, result, now);
    }
    options.metrics.attempts.inc({ outcome: result.outcome });
    // One answer for unknown document, bad document, no password and wrong password.
    if (result.outcome === 'failed')
      throw httpError('GL_UNAUTHORIZED', 'document or password is wrong');
    const token = await mintToken(db, {
      role: 'customer',
      subject: String(result.customerId),
      label: 'customer session',
      ttlMs: options.sessionTtlMs,
      now,
    });
    const expiresAt = new Date(now.getTime() + options.sessionTtlMs).toISOString();
    return c.json({ token, customerId: result.customerId, expiresAt }, 200);
  });

  app.openapi(
    policyRoute({
      method: 'post',
      path: '/logout',
      tags: ['auth'],
      summary: 'Sign out: revokes the token this request presents (any role)',
      security,
      authenticate: authenticated,
      policy: { resource: 'self', action: 'delete' },
      responses: { 204: { description: 'Revoked' }, ...errorResponses },
    }),
    async (c) => {
      await revokePresentedToken(db, c.get('principal'), options.now());
      return c.body(null, 204);
    },
  );

  app.openapi(
    policyRoute({
      method: 'post',
      path: '/password',
      tags: ['auth'],
      summary:
        'A customer changes its own password; every other session and token of the customer is revoked, this one stays',
      security,
      authenticate: authenticated,
      policy: { resource: 'self', action: 'update' },
      request: {
        body: {
          content: {
            'application/json': {
              schema: z
                .object({
                  currentPassword: z.string().min(1).max(200),
                  newPassword: z.string().min(8).max(200),
                })
                .strict(),
            },
          },
          required: true,
        },
      },
      responses: {
        200: json(z.object({ revoked: z.number().int() }), 'Tokens revoked'),
        ...errorResponses,
        ...tooManySignIns,
      },
    }),
    async (c) => {
      const { currentPassword, newPassword } = c.req.valid('json');
      const who = c.get('principal');
      const now = options.now();
      const customerId = customerIdOf(who) ?? -1;
      const document = await customerDocument(db, customerId);
      if (document === undefined) throw httpError('GL_NOT_FOUND', 'customer not found');
      // The current password is checked like a sign-in: a stolen session cannot guess it fast.
      const address = clientAddress(c, options.trustedProxies);
      const check = await signIn(
        db,
        options.throttle,
        { document, password: currentPassword, address },
        now,
      );
      if (check.outcome === 'throttled') {
        countThrottled(options.metrics, check.scope);
        throw signInRateLimited(c, check, now);
      }
      options.metrics.attempts.inc({ outcome: check.outcome });
      if (check.outcome === 'failed')
        throw httpError('GL_FORBIDDEN', 'currentPassword: not the current password');
      const revoked = await changePassword(db, customerId, newPassword, {
        now,
        keep: who.tokenId,
      });
      return c.json({ revoked }, 200);
    },
  );
  return app;
}
