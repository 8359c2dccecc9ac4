import { z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { type LoginThrottle, mintToken } from '../../auth/index.js';
import {
  createDriver,
  driverDocument,
  driverIdOf,
  driverScope,
  driverSignIn,
  getDriver,
  listDrivers,
  updateDriver,
} from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import { clientAddress } from '../client-address.js';
import { idCursor } from '../cursors.js';
import { httpError } from '../errors.js';
import { jsonBody, storableUrl } from '../json-body.js';
import { countThrottled, type LoginMetrics } from '../login-metrics.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { ErrorSchema, errorResponses, IdParam, json, PageQuery, security } from '../schemas.js';
import { signInRateLimited, tooManySignIns } from '../sign-in-throttle.js';

const Driver = z
  .object({
    id: z.number().int(),
    document: z.string().openapi({ example: '529.982.247-25' }),
    name: z.string(),
    email: z.string().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Driver');

export interface DriverAuthOptions {
  now: () => Date;
  sessionTtlMs: number;
  throttle: LoginThrottle;
  trustedProxies: ReadonlySet<string>;
  metrics: LoginMetrics;
}

const driverLoginRoute = policyRoute({
  method: 'post',
  path: '/driver-login',
  tags: ['auth', 'drivers'],
  summary: 'Driver sign-in with CPF/CNPJ and password → a driver token (subject = the driver id)',
  policy: { public: 'sign-in: how a driver gets a token' },
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              document: z.string().min(1).max(32),
              password: z.string().min(1).max(200),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    200: json(
      z.object({ token: z.string(), driverId: z.number().int(), expiresAt: z.string().datetime() }),
      'A bearer token for the driver role',
    ),
    ...errorResponses,
    ...tooManySignIns,
  },
});

/**
 * `/api/v1/auth/driver-login` (public, docs/EV.md "Cars"): the same throttle as the customer
 * sign-in, one answer for an unknown document and a wrong password.
 */
export function driverAuthRoutes(db: Kysely<Schema>, options: DriverAuthOptions) {
  const app = openApiApp();
  // Scoped to its one path: this sub-app shares the `/api/v1/auth` prefix with the customers'
  // (routes/auth.ts), whose `*` middleware must not run on top of these (a body is read once).
  // Mounted before it, so the sign-in answers before that middleware is reached.
  app.use('/driver-login', bodyLimit({ maxSize: 4096 }));
  app.use('/driver-login', storableUrl());
  app.use('/driver-login', jsonBody());
  app.openapi(driverLoginRoute, async (c) => {
    const { document, password } = c.req.valid('json');
    const now = options.now();
    const address = clientAddress(c, options.trustedProxies);
    const result = await driverSignIn(db, options.throttle, { document, password, address }, now);
    if (result.outcome === 'throttled') {
      countThrottled(options.metrics, result.scope);
      throw signInRateLimited(c, result, now);
    }
    options.metrics.attempts.inc({ outcome: result.outcome });
    if (result.outcome === 'failed')
      throw httpError('GL_UNAUTHORIZED', 'document or password is wrong');
    const token = await mintToken(db, {
      role: 'driver',
      subject: String(result.driverId),
      label: 'driver session',
      ttlMs: options.sessionTtlMs,
      now,
    });
    const expiresAt = new Date(now.getTime() + options.sessionTtlMs).toISOString();
    return c.json({ token, driverId: result.driverId, expiresAt }, 200);
  });
  return app;
}

const createRoute = policyRoute({
  method: 'post',
  path: '/',
  tags: ['drivers'],
  summary:
    'Create a driver with a first password (staff); the driver signs in at /auth/driver-login',
  security,
  policy: { resource: 'driver', action: 'create' },
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              document: z.string().min(1).max(32).openapi({ example: '529.982.247-25' }),
              name: z.string().min(1).max(200),
              email: z.string().max(254).nullable().optional(),
              password: z.string().min(8).max(200),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    201: json(Driver, 'Created'),
    409: {
      description: 'A driver has the document (GL_CONFLICT)',
      content: { 'application/json': { schema: ErrorSchema } },
    },
    ...errorResponses,
  },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['drivers'],
  summary: 'Drivers by id (staff)',
  security,
  policy: { resource: 'driver', action: 'list' },
  request: { query: z.object({ limit: PageQuery.shape.limit, cursor: idCursor() }) },
  responses: {
    200: json(z.object({ items: z.array(Driver), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['drivers'],
  summary: 'A driver (a driver reads only itself)',
  security,
  policy: { resource: 'driver', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Driver, 'The driver'), ...errorResponses },
});

const patchRoute = policyRoute({
  method: 'patch',
  path: '/{id}',
  tags: ['drivers'],
  summary:
    'Update a driver: name, e-mail, password. A driver changing its own password gives currentPassword (checked like a sign-in); its other tokens are revoked',
  security,
  policy: { resource: 'driver', action: 'update' },
  request: {
    params: IdParam,
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              name: z.string().min(1).max(200).optional(),
              email: z.string().max(254).nullable().optional(),
              password: z.string().min(8).max(200).optional(),
              currentPassword: z.string().min(1).max(200).optional(),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    200: json(Driver.extend({ revokedTokens: z.number().int() }), 'Updated'),
    ...errorResponses,
    ...tooManySignIns,
  },
});

/** `/api/v1/drivers` (docs/EV.md, "Cars"): staff manage drivers; a driver reads and edits itself. */
export function driverRoutes(db: Kysely<Schema>, options: Omit<DriverAuthOptions, 'sessionTtlMs'>) {
  const app = openApiApp();
  app.openapi(createRoute, async (c) => {
    const body = c.req.valid('json');
    return c.json(await createDriver(db, body, options.now()), 201);
  });
  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const scope = driverScope(c.get('principal'), 'driver', 'list');
    return c.json(await listDrivers(db, scope, { limit, after: cursor }), 200);
  });
  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const driver = await getDriver(db, id, driverScope(c.get('principal'), 'driver', 'read'));
    if (!driver) throw httpError('GL_NOT_FOUND', `driver ${id} not found`);
    return c.json(driver, 200);
  });
  app.openapi(patchRoute, async (c) => {
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    const who = c.get('principal');
    const scope = driverScope(who, 'driver', 'update');
    const now = options.now();
    if (!(await getDriver(db, id, scope)))
      throw httpError('GL_NOT_FOUND', `driver ${id} not found`);
    if (patch.password !== undefined && driverIdOf(who) === id) {
      // A stolen driver session cannot set a new password without the current one, nor guess it fast.
      if (patch.currentPassword === undefined)
        throw httpError('GL_VALIDATION', 'currentPassword: required to change your own password');
      const document = (await driverDocument(db, id)) as string;
      const address = clientAddress(c, options.trustedProxies);
      const check = await driverSignIn(
        db,
        options.throttle,
        { document, password: patch.currentPassword, address },
        now,
      );
      if (check.outcome === 'throttled') {
        countThrottled(options.metrics, check.scope);
        throw signInRateLimited(c, check, now);
      }
      options.metrics.attempts.inc({ outcome: check.outcome });
      if (check.outcome === 'failed')
        throw httpError('GL_FORBIDDEN', 'currentPassword: not the current password');
    }
    const { currentPassword: _, ...changes } = patch;
    const result = await updateDriver(db, id, scope, changes, { now, keepTokenId: who.tokenId });
    if (!result) throw httpError('GL_NOT_FOUND', `driver ${id} not found`);
    return c.json({ ...result.driver, revokedTokens: result.revokedTokens }, 200);
  });
  return app;
}
