import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { revokeMqttCredential, upsertMqttCredential, usernameOf } from '../../broker/index.js';
import {
  type CarView,
  carStates,
  deleteCar,
  driverScope,
  getCar,
  listCars,
  registerCar,
  updateCar,
} from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import { serialIdNumber, serialIdText } from '../ids.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { ErrorSchema, errorResponses, json, PageQuery, security } from '../schemas.js';

const PLATE_TEXT = /^[A-Za-z]{3}-?[0-9][A-Za-z0-9][0-9]{2}$/;
const plateText = () =>
  z
    .string()
    .regex(PLATE_TEXT, 'a plate: ABC1234 or ABC1D23 (a dash after the letters is ignored)')
    .openapi({ example: 'RBA4E21' });

const PlateParam = z.object({
  plate: plateText().openapi({ param: { name: 'plate', in: 'path' } }),
});

const LastState = z
  .object({
    batteryPct: z.number().openapi({ description: 'State of charge, % (seed A nivel_bateria)' }),
    charging: z.boolean().openapi({ description: 'seed A em_carregamento' }),
    at: z.string().datetime(),
  })
  .openapi('CarLastState');

const Car = z
  .object({
    plate: z.string().openapi({ example: 'RBA4E21' }),
    driverId: z.number().int().nullable(),
    model: z.string().nullable(),
    batteryKwh: z.number().nullable(),
    consumptionKwhPerKm: z.number().nullable(),
    mqttUsername: z.string().openapi({ example: 'car@RBA4E21' }),
    last: LastState.nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Car');

const CarState = z
  .object({
    at: z.string().datetime(),
    source: z.enum(['status', 'bateria']),
    batteryPct: z.number(),
    charging: z.boolean(),
    energyKwh: z.number().nullable(),
    rangeKm: z.number().nullable(),
    powerKw: z.number().nullable(),
    receivedAt: z.string().datetime(),
  })
  .openapi('CarState');

const specFields = {
  model: z.string().min(1).max(100).nullable().optional().openapi({
    description:
      'A seed model (Tesla Model 3, Nissan Leaf, Chevrolet Bolt EV: fills the numbers) or free text',
  }),
  batteryKwh: z.number().gt(0).max(1000).nullable().optional(),
  consumptionKwhPerKm: z.number().gt(0).max(10).nullable().optional(),
  driverId: serialIdNumber().nullable().optional().openapi({
    description: 'Staff only: the owner (null: nobody). A driver registers cars for itself',
  }),
};

const conflict = {
  409: {
    description: 'The plate is registered already (GL_CONFLICT)',
    content: { 'application/json': { schema: ErrorSchema } },
  },
};

const createRoute = policyRoute({
  method: 'post',
  path: '/',
  tags: ['cars'],
  summary: 'Register a car by plate (a driver for itself; staff for anyone or nobody)',
  security,
  policy: { resource: 'car', action: 'create' },
  request: {
    body: {
      content: {
        'application/json': { schema: z.object({ plate: plateText(), ...specFields }).strict() },
      },
      required: true,
    },
  },
  responses: { 201: json(Car, 'Registered'), ...conflict, ...errorResponses },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['cars'],
  summary:
    'Cars by plate with their last state (a driver sees its own; staff all, or one driver’s)',
  security,
  policy: { resource: 'car', action: 'list' },
  request: {
    query: z.object({
      limit: PageQuery.shape.limit,
      cursor: z
        .string()
        .regex(/^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$/, 'not a cursor from this API')
        .optional()
        .openapi({ description: 'The `next` value of the previous page' }),
      driverId: serialIdText()
        .optional()
        .openapi({ description: 'Staff: only this driver’s cars' }),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(Car), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{plate}',
  tags: ['cars'],
  summary: 'A car with its last state (seed A carros/{placa}/status)',
  security,
  policy: { resource: 'car', action: 'read' },
  request: { params: PlateParam },
  responses: { 200: json(Car, 'The car'), ...errorResponses },
});

const patchRoute = policyRoute({
  method: 'patch',
  path: '/{plate}',
  tags: ['cars'],
  summary: 'Update a car’s model, battery, consumption; staff also its owner',
  security,
  policy: { resource: 'car', action: 'update' },
  request: {
    params: PlateParam,
    body: {
      content: { 'application/json': { schema: z.object(specFields).strict() } },
      required: true,
    },
  },
  responses: { 200: json(Car, 'Updated'), ...errorResponses },
});

const deleteRoute = policyRoute({
  method: 'delete',
  path: '/{plate}',
  tags: ['cars'],
  summary: 'Delete a car, its history and its MQTT credential',
  security,
  policy: { resource: 'car', action: 'delete' },
  request: { params: PlateParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

const credentialRoute = policyRoute({
  method: 'post',
  path: '/{plate}/mqtt-credential',
  tags: ['cars'],
  summary:
    'Create or rotate the car’s MQTT credential (username car@{plate}); the secret is shown only here, stored hashed',
  security,
  policy: { resource: 'car', action: 'act' },
  request: { params: PlateParam },
  responses: {
    201: json(
      z.object({
        plate: z.string(),
        username: z.string(),
        secret: z.string(),
        created: z.boolean(),
      }),
      'The credential (created: true the first time, false on rotation)',
    ),
    ...errorResponses,
  },
});

const DAY_MS = 86_400_000;
const statesRoute = policyRoute({
  method: 'get',
  path: '/{plate}/states',
  tags: ['cars'],
  summary: 'A car’s reports in [from, to), oldest first (default: the last 24 h); at most 31 days',
  security,
  policy: { resource: 'car', action: 'read' },
  request: {
    params: PlateParam,
    query: z.object({
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      limit: z.coerce.number().int().min(1).max(10_000).default(1000),
    }),
  },
  responses: {
    200: json(z.object({ plate: z.string(), items: z.array(CarState) }), 'The reports'),
    ...errorResponses,
  },
});

/** The view with the MQTT username the car connects with (`car@{plate}`). */
const withUsername = (car: CarView) => ({ ...car, mqttUsername: usernameOf('car', car.plate) });

/** `/api/v1/cars` (docs/EV.md, "Cars"): ownership through driverScope; others' cars are 404. */
export function carRoutes(db: Kysely<Schema>, options: { now: () => Date }) {
  const app = openApiApp();
  const notFound = (plate: string) => httpError('GL_NOT_FOUND', `car ${plate} not found`);
  app.openapi(createRoute, async (c) => {
    const scope = driverScope(c.get('principal'), 'car', 'create');
    return c.json(
      withUsername(await registerCar(db, scope, c.req.valid('json'), options.now())),
      201,
    );
  });
  app.openapi(listRoute, async (c) => {
    const { limit, cursor, driverId } = c.req.valid('query');
    const scope = driverScope(c.get('principal'), 'car', 'list');
    const page = await listCars(db, scope, { limit, after: cursor, driverId });
    return c.json({ items: page.items.map(withUsername), next: page.next }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const { plate } = c.req.valid('param');
    const car = await getCar(db, plate, driverScope(c.get('principal'), 'car', 'read'));
    if (!car) throw notFound(plate);
    return c.json(withUsername(car), 200);
  });
  app.openapi(patchRoute, async (c) => {
    const { plate } = c.req.valid('param');
    const scope = driverScope(c.get('principal'), 'car', 'update');
    const car = await updateCar(db, plate, scope, c.req.valid('json'), options.now());
    if (!car) throw notFound(plate);
    return c.json(withUsername(car), 200);
  });
  app.openapi(deleteRoute, async (c) => {
    const { plate } = c.req.valid('param');
    const scope = driverScope(c.get('principal'), 'car', 'delete');
    const car = await getCar(db, plate, scope);
    if (!car) throw notFound(plate);
    // The credential first: a car deleted but still able to connect would come back unowned.
    await revokeMqttCredential(db, 'car', car.plate);
    if (!(await deleteCar(db, car.plate, scope))) throw notFound(plate);
    return c.body(null, 204);
  });
  app.openapi(credentialRoute, async (c) => {
    const { plate } = c.req.valid('param');
    const car = await getCar(db, plate, driverScope(c.get('principal'), 'car', 'act'));
    if (!car) throw notFound(plate);
    // Created or rotated; the secret is returned once and stored hashed (broker/credentials.ts).
    const issued = await upsertMqttCredential(db, 'car', car.plate, options.now());
    return c.json({ plate: car.plate, ...issued }, 201);
  });
  app.openapi(statesRoute, async (c) => {
    const { plate } = c.req.valid('param');
    const q = c.req.valid('query');
    const to = q.to ? new Date(q.to) : options.now();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - DAY_MS);
    if (!(from < to)) throw httpError('GL_VALIDATION', 'from: must be before to');
    if (to.getTime() - from.getTime() > 31 * DAY_MS)
      throw httpError('GL_VALIDATION', 'to: at most 31 days after from');
    const items = await carStates(db, plate, driverScope(c.get('principal'), 'car', 'read'), {
      from,
      to,
      limit: q.limit,
    });
    if (!items) throw notFound(plate);
    return c.json({ plate: plate.toUpperCase().replace('-', ''), items }, 200);
  });
  return app;
}
