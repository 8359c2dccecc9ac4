import { idSchema, isGridlinkError } from '@gridlink/shared';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  bindMeter,
  createCustomer,
  findCustomer,
  isTimeZone,
  listCustomers,
  unbindMeter,
  updateCustomer,
} from '../../customers/index.js';
import { listMeters } from '../../metering/index.js';
import { customerIdOf } from '../../provisioning/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import { customerKeyText, idPathParam, serialIdNumber } from '../ids.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, json, PageQuery, security } from '../schemas.js';
import { addCustomerConsumption } from './consumption.js';

const connection = z.enum(['single-phase', 'two-phase', 'three-phase']);
const kwh = z.union([z.string().regex(/^\d+(\.\d+)?$/), z.number().nonnegative()]);

const Customer = z
  .object({
    id: z.number().int(),
    document: z.string().openapi({ description: 'CPF (11 digits) or CNPJ (14), normalized' }),
    documentKind: z.enum(['cpf', 'cnpj']),
    name: z.string(),
    timeZone: z.string().openapi({ example: 'America/Bahia' }),
    connection,
    tariffClass: z.string(),
    tariff: z.record(z.string(), z.unknown()).nullable(),
    monthlyLimitKwh: z.string().nullable(),
    canSignIn: z.boolean(),
    createdAt: z.string().datetime(),
  })
  .openapi('Customer');

const editable = {
  name: z.string().min(1).max(200),
  timeZone: z
    .string()
    .refine(isTimeZone, 'expected an IANA time zone such as America/Bahia')
    .optional(),
  connection: connection.optional(),
  tariffClass: z.string().min(1).max(64).optional(),
  tariff: z
    .record(z.string(), z.unknown())
    .nullable()
    .optional()
    .openapi({ description: 'A tariff (see docs/BILLING.md); validated on write' }),
  monthlyLimitKwh: kwh.nullable().optional(),
  password: z.string().min(8).max(200).optional(),
};

const CreateCustomer = z.object({ document: z.string().min(11).max(32), ...editable });
const PatchCustomer = z.object({ ...editable, name: editable.name.optional() }).strict();

const BindMeter = z
  .union([
    z.object({ meterId: serialIdNumber() }).strict(),
    z.object({ edgeId: idSchema, deviceId: idSchema }).strict(),
  ])
  .openapi('BindMeter');

const BoundMeter = z.object({
  id: z.number().int(),
  edgeId: z.string(),
  deviceId: z.string(),
  customerId: z.number().int(),
});

const createOneRoute = policyRoute({
  method: 'post',
  path: '/',
  tags: ['customers'],
  summary: 'Register a customer (CPF/CNPJ check digits validated)',
  security,
  policy: { resource: 'customer', action: 'create' },
  request: {
    body: { content: { 'application/json': { schema: CreateCustomer } }, required: true },
  },
  responses: {
    201: json(Customer, 'The new customer'),
    409: json(z.object({}), 'A customer with this document exists'),
    ...errorResponses,
  },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['customers'],
  summary: 'List customers (a customer sees only itself)',
  security,
  policy: { resource: 'customer', action: 'list' },
  request: { query: PageQuery },
  responses: {
    200: json(z.object({ items: z.array(Customer), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['customers'],
  summary: 'One customer, by id or by its CPF/CNPJ (digits only)',
  security,
  policy: { resource: 'customer', action: 'read' },
  request: {
    params: z.object({ id: customerKeyText().openapi({ param: { name: 'id', in: 'path' } }) }),
  },
  responses: { 200: json(Customer, 'The customer'), ...errorResponses },
});

const patchRoute = policyRoute({
  method: 'patch',
  path: '/{id}',
  tags: ['customers'],
  summary: 'Change a customer (tariff, limits, password, …); a new password revokes its sessions',
  security,
  policy: { resource: 'customer', action: 'update' },
  request: {
    params: IdParam,
    body: { content: { 'application/json': { schema: PatchCustomer } }, required: true },
  },
  responses: { 200: json(Customer, 'The customer'), ...errorResponses },
});

const metersRoute = policyRoute({
  method: 'get',
  path: '/{id}/meters',
  tags: ['customers'],
  summary: "A customer's meters",
  security,
  policy: { resource: 'meter', action: 'list' },
  request: { params: IdParam, query: PageQuery },
  responses: {
    200: json(
      z.object({
        items: z.array(
          z.object({
            id: z.number().int(),
            edgeId: z.string(),
            deviceId: z.string(),
            customerId: z.number().int().nullable(),
            createdAt: z.string(),
          }),
        ),
        next: z.string().nullable(),
      }),
      'A page of meters',
    ),
    ...errorResponses,
  },
});

const bindRoute = policyRoute({
  method: 'post',
  path: '/{id}/meters',
  tags: ['customers'],
  summary: 'Bind a meter, by id or by (edgeId, deviceId)',
  security,
  policy: { resource: 'meter', action: 'update' },
  request: {
    params: IdParam,
    body: { content: { 'application/json': { schema: BindMeter } }, required: true },
  },
  responses: { 200: json(BoundMeter, 'The bound meter'), ...errorResponses },
});

const unbindRoute = policyRoute({
  method: 'delete',
  path: '/{id}/meters/{meterId}',
  tags: ['customers'],
  summary: 'Unbind a meter from the customer',
  security,
  policy: { resource: 'meter', action: 'update' },
  request: {
    params: IdParam.extend({ meterId: idPathParam('meterId') }),
  },
  responses: { 204: { description: 'Unbound' }, ...errorResponses },
});

/** `/customers`: the one sub-app of the prefix (consumption included); policies per route. */
export function customerRoutes(
  db: Kysely<Schema>,
  options: { now: () => Date; timeZone?: string },
) {
  const app = openApiApp();

  app.openapi(listRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await listCustomers(db, c.get('principal'), { limit, after: cursor });
    return c.json(
      page as z.infer<(typeof listRoute.responses)[200]['content']['application/json']['schema']>,
      200,
    );
  });

  app.openapi(getRoute, async (c) => {
    const key = c.req.valid('param').id;
    // A document names the customer that holds it; the scope check below is the id's, and no
    // such document answers as a customer not yours does (a customer learns nothing of others).
    const id =
      'id' in key
        ? key.id
        : await customerIdOf(db, key).catch((err) => {
            if (isGridlinkError(err) && err.code === 'GL_NOT_FOUND') return undefined;
            throw err;
          });
    const customer = id === undefined ? undefined : await findCustomer(db, c.get('principal'), id);
    if (!customer) throw httpError('GL_NOT_FOUND', 'customer not found');
    return c.json(customer as z.infer<typeof Customer>, 200);
  });

  app.openapi(metersRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const who = c.get('principal');
    if (!(await findCustomer(db, who, id)))
      throw httpError('GL_NOT_FOUND', `customer ${id} not found`);
    return c.json(await listMeters(db, who, { limit, after: cursor, customerId: id }), 200);
  });

  app.openapi(createOneRoute, async (c) => {
    const body = c.req.valid('json');
    const input = body as Parameters<typeof createCustomer>[1];
    const customer = await createCustomer(db, {
      ...input,
      timeZone: input.timeZone ?? options.timeZone,
    });
    return c.json(customer as z.infer<typeof Customer>, 201);
  });

  app.openapi(patchRoute, async (c) => {
    const { id } = c.req.valid('param');
    const patch = c.req.valid('json');
    const customer = await updateCustomer(db, id, patch as Parameters<typeof updateCustomer>[2], {
      now: options.now(),
    });
    if (!customer) throw httpError('GL_NOT_FOUND', `customer ${id} not found`);
    return c.json(customer as z.infer<typeof Customer>, 200);
  });

  app.openapi(bindRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await bindMeter(db, id, c.req.valid('json')), 200);
  });

  app.openapi(unbindRoute, async (c) => {
    const { id, meterId } = c.req.valid('param');
    if (!(await unbindMeter(db, id, meterId)))
      throw httpError('GL_NOT_FOUND', `meter ${meterId} is not bound to customer ${id}`);
    return c.body(null, 204);
  });
  addCustomerConsumption(app, db, options);
  return app;
}
