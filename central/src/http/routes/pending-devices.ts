import { idSchema, pendingKeySchema } from '@gridlink/shared';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import type { ControlPlane } from '../../control/index.js';
import {
  bindPendingDevice,
  type CustomerRef,
  customerIdOf,
  derivedDeviceId,
  listPendingDevices,
  provisionedEntry,
  provisionPushMeter,
} from '../../provisioning/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import { serialIdNumber } from '../ids.js';
import type { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, security } from '../schemas.js';

const EdgeParam = z.object({ edgeId: idSchema });
const KeyParam = z
  .string()
  .max(120)
  .refine((k) => pendingKeySchema.safeParse(k).success, 'not a pending-device key')
  .openapi({
    param: { name: 'key', in: 'path' },
    description: '`udp-meter:{cpf}:{meterNumber}` (seed D) or `tcp-json-meter:{id}` (seed E)',
    example: 'udp-meter:52998224725:1',
  });

const Pending = z
  .object({
    key: z.string(),
    driver: z.enum(['udp-meter', 'tcp-json-meter']),
    cpf: z.string().nullable().openapi({ description: 'Seed D: the CPF the datagrams carry' }),
    meterId: z.string().openapi({ description: 'What the meter calls itself' }),
    from: z.string().nullable().openapi({ description: 'Last heard from (address:port)' }),
    firstSeenAt: z.string().datetime(),
    lastSeenAt: z.string().datetime(),
    buffered: z.number().int().openapi({ description: 'Readings the edge holds for it' }),
    dropped: z.number().int().openapi({ description: 'Readings refused: its buffer was full' }),
    boundAs: z.string().nullable().openapi({
      description: 'The device id it is bound as, until the edge applies it and drops it here',
    }),
  })
  .openapi('PendingDevice');

/** Exactly one of customerId and document names the customer. */
const customerFields = {
  customerId: serialIdNumber().optional(),
  document: z
    .string()
    .min(11)
    .max(32)
    .optional()
    .openapi({ description: "The customer's CPF or CNPJ (instead of customerId)" }),
  deviceId: idSchema.optional(),
};
const oneCustomer = (b: { customerId?: number; document?: string }) =>
  (b.customerId === undefined) !== (b.document === undefined);
const oneCustomerMessage = {
  message: 'give exactly one of customerId and document',
  path: ['customerId'],
};

const BindBody = z
  .object({
    ...customerFields,
    deviceId: customerFields.deviceId.openapi({
      description: 'Default: `d-{cpf}-{number}` (seed D) or `e-{id}` (seed E)',
    }),
  })
  .strict()
  .refine(oneCustomer, oneCustomerMessage)
  .openapi('BindPendingDevice');

const ProvisionBody = z
  .object({
    ...customerFields,
    driver: z.enum(['udp-meter', 'tcp-json-meter']),
    meterId: z
      .string()
      .min(1)
      .max(64)
      .openapi({ description: 'Seed D meter number, or seed E id (digits)' }),
    cpf: z
      .string()
      .regex(/^\d{11}$/)
      .optional()
      .openapi({ description: 'Seed D: the CPF its datagrams carry' }),
  })
  .strict()
  .refine(oneCustomer, oneCustomerMessage)
  .openapi('ProvisionMeter');

const Provisioned = z
  .object({
    edgeId: z.string(),
    meterId: z.number().int().openapi({ description: 'The meter (GET /meters/{id})' }),
    deviceId: z.string(),
    configVersion: z.number().int().openapi({
      description: 'The desired config version that carries it (GET /edges/{edgeId}/config)',
    }),
  })
  .openapi('ProvisionedMeter');

const conflict = json(
  z.object({ error: z.object({ code: z.literal('GL_CONFLICT'), message: z.string() }) }),
  'Bound to another customer, or the meter or device id is already provisioned otherwise',
);

const listRoute = policyRoute({
  method: 'get',
  path: '/{edgeId}/pending-devices',
  tags: ['edges'],
  summary: 'Push meters the edge holds as pending (unknown to it), as its last status listed them',
  security,
  policy: { resource: 'edge', action: 'read' },
  request: { params: EdgeParam },
  responses: {
    200: json(
      z.object({
        edgeId: z.string(),
        reportedAt: z.string().datetime().nullable(),
        items: z.array(Pending),
      }),
      'The pending meters',
    ),
    ...errorResponses,
  },
});

const bindRoute = policyRoute({
  method: 'post',
  path: '/{edgeId}/pending-devices/{key}/bind',
  tags: ['edges'],
  summary:
    "Bind a pending meter to a customer; the binding reaches the edge in its desired config's `provisioned`",
  security,
  policy: { resource: 'meter', action: 'update' },
  request: {
    params: EdgeParam.extend({ key: KeyParam }),
    body: { content: { 'application/json': { schema: BindBody } }, required: true },
  },
  responses: {
    202: json(Provisioned, 'Bound; desired config stored and published'),
    ...errorResponses,
    409: conflict,
  },
});

const provisionRoute = policyRoute({
  method: 'post',
  path: '/{edgeId}/provisioned-meters',
  tags: ['edges'],
  summary: 'Provision a push meter that has not spoken yet, bound to a customer',
  security,
  policy: { resource: 'meter', action: 'update' },
  request: {
    params: EdgeParam,
    body: { content: { 'application/json': { schema: ProvisionBody } }, required: true },
  },
  responses: {
    202: json(Provisioned, 'Bound; desired config stored and published'),
    ...errorResponses,
    409: conflict,
  },
});

const customerOf = (b: { customerId?: number; document?: string }): CustomerRef =>
  b.customerId !== undefined ? { customerId: b.customerId } : { document: b.document as string };

/**
 * Pending push meters of an edge and their binding (docs/PROVISIONING.md "Central"), on the
 * `/edges` sub-app; binding needs the control plane that publishes desired configs.
 */
export function addPendingDeviceRoutes(
  app: ReturnType<typeof openApiApp>,
  db: Kysely<Schema>,
  options: { control: ControlPlane; now: () => number },
): void {
  const deps = { db, control: options.control, now: options.now };
  app.openapi(listRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const list = await listPendingDevices(db, edgeId);
    if (!list) throw httpError('GL_EDGE_UNKNOWN', `no edge ${edgeId}`);
    return c.json(list, 200);
  });
  app.openapi(bindRoute, async (c) => {
    const { edgeId, key } = c.req.valid('param');
    const body = c.req.valid('json');
    const out = await bindPendingDevice(
      deps,
      { edgeId, key, customer: customerOf(body), deviceId: body.deviceId },
      c.get('principal').tokenId,
    );
    return c.json({ edgeId, ...out }, 202);
  });
  app.openapi(provisionRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const body = c.req.valid('json');
    const customerId = await customerIdOf(db, customerOf(body));
    const meter = provisionedEntry({
      id: body.deviceId ?? derivedDeviceId(body),
      driver: body.driver,
      meterId: body.meterId,
      cpf: body.cpf,
    });
    const out = await provisionPushMeter(
      deps,
      { edgeId, customerId, meter },
      c.get('principal').tokenId,
    );
    return c.json({ edgeId, ...out }, 202);
  });
}
