import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  credentialKinds,
  listMqttCredentials,
  nameProblem,
  revokeMqttCredential,
  upsertMqttCredential,
} from '../../broker/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, security } from '../schemas.js';

const Params = z.object({
  kind: z.enum(credentialKinds).openapi({ param: { name: 'kind', in: 'path' }, example: 'car' }),
  name: z
    .string()
    .max(64)
    .openapi({
      param: { name: 'name', in: 'path' },
      description:
        'car: its plate (ABC1234, ABC1D23); station: its MQTT client id (seed B); operator, peer: 1-64 of A-Z a-z 0-9 . _ -',
      example: 'ABC1D23',
    }),
});

const Credential = z
  .object({
    kind: z.enum(credentialKinds),
    name: z.string(),
    username: z.string().openapi({ description: 'The MQTT username: `{kind}@{name}`' }),
    createdAt: z.string().datetime(),
    rotatedAt: z.string().datetime(),
  })
  .openapi('MqttCredential');

const putRoute = policyRoute({
  method: 'put',
  path: '/{kind}/{name}',
  tags: ['mqtt'],
  summary:
    'Create an MQTT credential for a car, station client, operator subscriber or peer, or rotate its secret. The secret is shown once.',
  security,
  policy: { resource: 'mqtt-credential', action: 'create' },
  request: { params: Params },
  responses: {
    200: json(
      z.object({
        kind: z.enum(credentialKinds),
        name: z.string(),
        username: z.string(),
        secret: z.string(),
        created: z.boolean().openapi({ description: 'false: an existing secret was replaced' }),
      }),
      'The credential: MQTT username and password (= secret)',
    ),
    ...errorResponses,
  },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['mqtt'],
  summary: 'MQTT credentials of cars, station clients, operator subscribers and peers (no secrets)',
  security,
  policy: { resource: 'mqtt-credential', action: 'list' },
  responses: {
    200: json(z.object({ items: z.array(Credential) }), 'All of them'),
    ...errorResponses,
  },
});

const revokeRoute = policyRoute({
  method: 'delete',
  path: '/{kind}/{name}',
  tags: ['mqtt'],
  summary: 'Revoke an MQTT credential: its next CONNECT is refused',
  security,
  policy: { resource: 'mqtt-credential', action: 'delete' },
  request: { params: Params },
  responses: { 204: { description: 'Revoked' }, ...errorResponses },
});

/** `/api/v1/mqtt/credentials` (docs/SECURITY.md, "MQTT: principals and policy"). */
export function mqttCredentialRoutes(db: Kysely<Schema>, options: { now: () => Date }) {
  const app = openApiApp();
  app.openapi(putRoute, async (c) => {
    const { kind, name } = c.req.valid('param');
    const problem = nameProblem(kind, name);
    if (problem)
      throw httpError('GL_VALIDATION', `name: ${problem}`, [{ path: 'name', message: problem }]);
    const { username, secret, created } = await upsertMqttCredential(db, kind, name, options.now());
    return c.json({ kind, name, username, secret, created }, 200);
  });
  app.openapi(listRoute, async (c) => {
    const items = await listMqttCredentials(db);
    return c.json(
      {
        items: items.map((i) => ({
          ...i,
          createdAt: i.createdAt.toISOString(),
          rotatedAt: i.rotatedAt.toISOString(),
        })),
      },
      200,
    );
  });
  app.openapi(revokeRoute, async (c) => {
    const { kind, name } = c.req.valid('param');
    if (!(await revokeMqttCredential(db, kind, name)))
      throw httpError('GL_NOT_FOUND', `no ${kind} credential named ${name}`);
    return c.body(null, 204);
  });
  return app;
}
