import { z } from '@hono/zod-openapi';
import type { AvailabilityWatches, TripService } from '../../ev/index.js';
import { coordinatorBranchStates, transactionStates } from '../../federation/index.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, json, security } from '../schemas.js';
import { actorOf } from './reservations.js';

const Position = z
  .object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) })
  .strict()
  .openapi('Position', { example: { lat: -12.2667, lon: -38.9667 } });
const Pct = z.number().min(0).max(100);

const Stop = z.object({
  seq: z.number().int(),
  peer: z.string().nullable().openapi({
    description:
      "null: our own station; else the peer central that owns it (docs/FEDERATION.md): stationId, pointId and reservationId are then the peer's",
  }),
  stationId: z.number().int(),
  stationName: z.string(),
  companyId: z.string(),
  position: Position,
  distanceKm: z.number(),
  driveMinutes: z.number(),
  arriveAt: z.string().datetime(),
  arrivalSocPct: z.number(),
  waitMinutes: z.number(),
  chargeFrom: z.string().datetime(),
  chargeMinutes: z.number(),
  departAt: z.string().datetime(),
  departureSocPct: z.number(),
  energyKwh: z.number(),
  maxPowerKw: z.number(),
  pointId: z.number().int().nullable(),
  reservationId: z.number().int().nullable(),
});

const Trip = z
  .object({
    id: z.number().int(),
    driverId: z.number().int().nullable(),
    plate: z.string().nullable(),
    replacesId: z.number().int().nullable(),
    booked: z.boolean(),
    car: z.object({
      model: z.string().nullable(),
      batteryKwh: z.number(),
      consumptionKwhPerKm: z.number(),
      speedKmh: z.number(),
    }),
    start: z.object({
      socPct: z.number(),
      source: z.enum(['request', 'car']),
      reportedAt: z.string().datetime().nullable(),
    }),
    origin: Position,
    destination: Position,
    departAt: z.string().datetime(),
    arriveAt: z.string().datetime(),
    arrivalSocPct: z.number(),
    totalMinutes: z.number(),
    driveMinutes: z.number(),
    waitMinutes: z.number(),
    overheadMinutes: z.number(),
    chargeMinutes: z.number(),
    distanceKm: z.number(),
    stops: z.array(Stop),
    createdAt: z.string().datetime(),
    federation: z
      .object({
        txId: z.string(),
        state: z.enum(transactionStates),
        branches: z.array(
          z.object({
            seq: z.number().int(),
            peer: z.string().nullable(),
            companyId: z.string(),
            state: z.enum(coordinatorBranchStates),
            reservationId: z.number().int().nullable(),
          }),
        ),
      })
      .nullable()
      .openapi({
        description:
          "The federated booking of a trip with a stop at a peer (docs/FEDERATION.md): its transaction and each stop's branch",
      }),
  })
  .openapi('Trip');

const PlanBody = z
  .object({
    plate: z.string().min(1).max(16).optional().openapi({
      description: 'The car: its model, numbers and (without socPct) its last reported battery',
    }),
    model: z.string().min(1).max(64).optional().openapi({ example: 'Tesla Model 3' }),
    batteryKwh: z.number().positive().max(1000).optional(),
    consumptionKwhPerKm: z.number().positive().max(10).optional(),
    socPct: Pct.optional(),
    origin: Position,
    destination: Position,
    departAt: z.string().datetime({ offset: true }).optional(),
    minStopSocPct: Pct.optional(),
    minDestSocPct: Pct.optional(),
    maxChargeSocPct: Pct.optional(),
    stopOverheadMinutes: z.number().min(0).max(120).optional(),
    book: z.boolean().optional().openapi({
      description: 'Book every stop at once through the reservations (all or nothing)',
    }),
  })
  .strict()
  .refine(
    (b) =>
      b.minDestSocPct === undefined ||
      b.maxChargeSocPct === undefined ||
      b.minDestSocPct <= b.maxChargeSocPct,
    { message: 'minDestSocPct must not exceed maxChargeSocPct', path: ['minDestSocPct'] },
  );

const tripErrors = {
  ...errorResponses,
  422: json(
    z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown() }) }),
    'The trip is impossible: GL_EV_TRIP_NO_STATION_IN_RANGE, GL_EV_TRIP_DESTINATION_UNREACHABLE or GL_EV_TRIP_CAR_TOO_SMALL, with why',
  ),
  409: json(
    z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown() }) }),
    'GL_EV_SLOT_TAKEN: a stop could not be booked, here or at a peer (details name the stop; a federated booking also its txId); nothing was booked',
  ),
};

const planRoute = policyRoute({
  method: 'post',
  path: '/plan',
  tags: ['trips'],
  summary:
    'Plan a trip with charging stops (least drive + wait + charge time), availability at arrival from live state and bookings; optionally book every stop',
  security,
  policy: { resource: 'trip', action: 'create' },
  request: { body: { content: { 'application/json': { schema: PlanBody } } } },
  responses: {
    201: json(Trip, 'Planned (and booked when asked)'),
    202: json(
      Trip,
      'Booked across companies, confirmation still pending at a participant (federation.state confirming): the coordinator retries until every participant acknowledges',
    ),
    ...tripErrors,
  },
});

const replanRoute = policyRoute({
  method: 'post',
  path: '/{id}/replan',
  tags: ['trips'],
  summary:
    "Re-plan a trip from the car's live battery (or socPct) and a new origin; a booked re-plan releases the old trip's bookings",
  security,
  policy: { resource: 'trip', action: 'create' },
  request: {
    params: IdParam,
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              origin: Position.optional(),
              socPct: Pct.optional(),
              book: z.boolean().optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: { 201: json(Trip, 'The new plan'), ...tripErrors },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['trips'],
  summary: 'Trips planned, newest first (a driver sees its own)',
  security,
  policy: { resource: 'trip', action: 'list' },
  responses: { 200: json(z.object({ items: z.array(Trip) }), 'Trips'), ...errorResponses },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['trips'],
  summary: 'One trip with its stops and their bookings',
  security,
  policy: { resource: 'trip', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Trip, 'The trip'), ...errorResponses },
});

/** `/api/v1/trips` (docs/EV.md, "Trip planner"). */
export function tripRoutes(trips: TripService) {
  const app = openApiApp();
  app.openapi(planRoute, async (c) => {
    const b = c.req.valid('json');
    const trip = await trips.plan(
      { ...b, departAt: b.departAt ? new Date(b.departAt) : undefined },
      actorOf(c.get('principal')),
    );
    return c.json(trip, trip.federation?.state === 'confirming' ? 202 : 201);
  });
  app.openapi(replanRoute, async (c) => {
    const { id } = c.req.valid('param');
    const trip = await trips.replan(id, c.req.valid('json'), actorOf(c.get('principal')));
    return c.json(trip, 201);
  });
  app.openapi(listRoute, async (c) =>
    c.json({ items: await trips.list(actorOf(c.get('principal'))) }, 200),
  );
  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const trip = await trips.get(id, actorOf(c.get('principal')));
    if (!trip) throw httpError('GL_NOT_FOUND', `trip ${id} not found`);
    return c.json(trip, 200);
  });
  return app;
}

const Watch = z
  .object({
    id: z.number().int(),
    driverId: z.number().int().nullable(),
    plate: z.string().nullable(),
    pointId: z.number().int().nullable(),
    stationId: z.number().int().nullable(),
    state: z.enum(['waiting', 'notified', 'expired']),
    createdAt: z.string().datetime(),
    expiresAt: z.string().datetime(),
    notifiedAt: z.string().datetime().nullable(),
    notifiedPointId: z.number().int().nullable(),
  })
  .openapi('AvailabilityWatch');

const watchCreate = policyRoute({
  method: 'post',
  path: '/',
  tags: ['trips'],
  summary:
    'Watch a point or a station: told once when it becomes available, on carros/{plate}/avisos (with a plate) and in notifiedAt',
  security,
  policy: { resource: 'trip', action: 'create' },
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              pointId: z.number().int().positive().optional(),
              stationId: z.number().int().positive().optional(),
              plate: z.string().min(1).max(16).optional(),
              ttlMinutes: z.number().int().min(1).max(10_080).optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: { 201: json(Watch, 'Watching (or already told)'), ...errorResponses },
});

const watchList = policyRoute({
  method: 'get',
  path: '/',
  tags: ['trips'],
  summary: 'Availability watches, newest first (a driver sees its own)',
  security,
  policy: { resource: 'trip', action: 'list' },
  responses: { 200: json(z.object({ items: z.array(Watch) }), 'Watches'), ...errorResponses },
});

const watchGet = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['trips'],
  summary: 'One availability watch',
  security,
  policy: { resource: 'trip', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Watch, 'The watch'), ...errorResponses },
});

const watchDelete = policyRoute({
  method: 'delete',
  path: '/{id}',
  tags: ['trips'],
  summary: 'Stop watching',
  security,
  policy: { resource: 'trip', action: 'delete' },
  request: { params: IdParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses },
});

/** `/api/v1/availability-watches` (docs/EV.md, "Notify when free"). */
export function watchRoutes(watches: AvailabilityWatches) {
  const app = openApiApp();
  app.openapi(watchCreate, async (c) =>
    c.json(await watches.create(c.req.valid('json'), actorOf(c.get('principal'))), 201),
  );
  app.openapi(watchList, async (c) =>
    c.json({ items: await watches.list(actorOf(c.get('principal'))) }, 200),
  );
  app.openapi(watchGet, async (c) => {
    const { id } = c.req.valid('param');
    const w = await watches.get(id, actorOf(c.get('principal')));
    if (!w) throw httpError('GL_NOT_FOUND', `watch ${id} not found`);
    return c.json(w, 200);
  });
  app.openapi(watchDelete, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await watches.remove(id, actorOf(c.get('principal')))))
      throw httpError('GL_NOT_FOUND', `watch ${id} not found`);
    return c.body(null, 204);
  });
  return app;
}
