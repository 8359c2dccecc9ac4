import { z } from '@hono/zod-openapi';
import type { Principal } from '../../access/index.js';
import {
  cancelReasons,
  LIVE_RESERVATION_STATES,
  type ReservationActor,
  type ReservationEngine,
} from '../../ev/index.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, json, PageQuery, security } from '../schemas.js';

const states = [
  ...LIVE_RESERVATION_STATES,
  'COMPLETED',
  'CANCELED',
  'NO_SHOW',
  'EXPIRED',
  'REJECTED',
  'FAILED',
] as const;

const Terms = z
  .object({
    cancel_until_minutes: z.number().int(),
    noshow_timeout: z.number().int(),
    noshow_fee: z.string(),
    early_start_time: z.number().int(),
    late_stop_time: z.number().int(),
  })
  .openapi('BookingTerms');

const Reservation = z
  .object({
    id: z.number().int(),
    pointId: z.number().int(),
    plate: z.string().nullable(),
    driverId: z.number().int().nullable(),
    start: z.string().datetime(),
    end: z.string().datetime(),
    state: z.enum(states),
    holdExpiresAt: z.string().datetime().nullable(),
    terms: Terms,
    canceled: z.object({ reason: z.string(), by: z.string() }).nullable(),
    flagged: z.object({ reason: z.string(), at: z.string().datetime() }).nullable(),
    fee: z.string().nullable().openapi({ description: 'Owed (reais): no-show or late cancel' }),
    source: z.string(),
    requestId: z.string().nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Reservation');

const Instant = z.string().datetime({ offset: true }).openapi({ example: '2027-01-04T13:00:00Z' });

const Slots = z.object({
  items: z.array(z.object({ start: z.string().datetime(), end: z.string().datetime() })),
});

const conflict = {
  409: {
    description:
      'GL_EV_SLOT_TAKEN (details.nextFree), GL_EV_POINT_NOT_BOOKABLE, GL_EV_BOOKING_STATE or GL_CONFLICT',
    content: {
      'application/json': {
        schema: z.object({
          error: z.object({
            code: z.string().openapi({ example: 'GL_EV_SLOT_TAKEN' }),
            message: z.string(),
            details: z
              .object({
                nextFree: z.array(z.object({ start: z.string(), end: z.string() })).optional(),
              })
              .passthrough()
              .optional(),
          }),
        }),
      },
    },
  },
} as const;

const bookRoute = policyRoute({
  method: 'post',
  path: '/',
  tags: ['reservations'],
  summary:
    'Book a charging point for a slot [start, end). A driver books for itself and its own cars; `hold` keeps it PENDING until confirmed. Overlaps are refused (409 GL_EV_SLOT_TAKEN with the next free slots)',
  security,
  policy: { resource: 'reservation', action: 'create' },
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              pointId: z.number().int().min(1).max(2_147_483_647),
              plate: z.string().max(10).optional().openapi({ example: 'ABC1D23' }),
              driverId: z.number().int().min(1).max(2_147_483_647).optional(),
              start: Instant,
              end: Instant,
              hold: z.boolean().optional(),
              terms: Terms.partial().strict().optional().openapi({
                description: 'Staff only: booking terms other than the defaults',
              }),
              requestId: z.string().min(1).max(64).optional().openapi({
                description: 'Idempotency key: the same key answers the same booking',
              }),
            })
            .strict(),
        },
      },
    },
  },
  responses: { 201: json(Reservation, 'Booked'), ...errorResponses, ...conflict },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['reservations'],
  summary: "Reservations, newest first: a driver's own, an operator's company's, or all",
  security,
  policy: { resource: 'reservation', action: 'list' },
  request: {
    query: PageQuery.extend({
      pointId: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
      state: z.enum(states).optional(),
      from: Instant.optional().openapi({ description: 'Slots ending after this' }),
      to: Instant.optional().openapi({ description: 'Slots starting before this' }),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(Reservation), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['reservations'],
  summary: 'One reservation',
  security,
  policy: { resource: 'reservation', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Reservation, 'The reservation'), ...errorResponses },
});

const confirmRoute = policyRoute({
  method: 'post',
  path: '/{id}/confirm',
  tags: ['reservations'],
  summary: 'Confirm a held booking (PENDING → RESERVED) before its hold lapses',
  security,
  policy: { resource: 'reservation', action: 'act' },
  request: { params: IdParam },
  responses: { 200: json(Reservation, 'Confirmed'), ...errorResponses, ...conflict },
});

const cancelRoute = policyRoute({
  method: 'post',
  path: '/{id}/cancel',
  tags: ['reservations'],
  summary:
    'Cancel a booking with an OCPI reason (a driver: USER, TRAFFIC, BROKEN_VEHICLE; after the terms’ cancel_until_minutes the no-show fee is owed)',
  security,
  policy: { resource: 'reservation', action: 'update' },
  request: {
    params: IdParam,
    body: {
      content: {
        'application/json': {
          schema: z.object({ reason: z.enum(cancelReasons) }).strict(),
        },
      },
    },
  },
  responses: { 200: json(Reservation, 'Canceled'), ...errorResponses, ...conflict },
});

const freeSlotsRoute = policyRoute({
  method: 'get',
  path: '/{id}/free-slots',
  tags: ['reservations'],
  summary: 'The next free slots of a charging point, `duration` minutes long, from `from`',
  security,
  policy: { resource: 'station', action: 'read' },
  request: {
    params: IdParam,
    query: z.object({
      from: Instant.optional().openapi({ description: 'Default: now' }),
      duration: z.coerce.number().int().min(1).max(1_440).default(60),
      count: z.coerce.number().int().min(1).max(20).default(3),
    }),
  },
  responses: { 200: json(Slots, 'Free slots'), ...errorResponses },
});

/** The reservation actor of an HTTP caller (the policy has already let its role through). */
export function actorOf(who: Principal): ReservationActor {
  if (who.role === 'driver') {
    const id =
      who.subject !== null && /^[1-9]\d{0,15}$/.test(who.subject) ? Number(who.subject) : 0;
    return { kind: 'driver', driverId: id, label: `driver:${id}` };
  }
  // An operator token naming a company manages that company's bookings (docs/EV.md).
  const companyId = who.role === 'operator' ? who.subject : null;
  return { kind: 'operator', companyId, label: `${who.role}:${who.tokenId}` };
}

/** `/api/v1/reservations` (docs/EV.md, "Reservations"). */
export function reservationRoutes(engine: ReservationEngine) {
  const app = openApiApp();
  app.openapi(bookRoute, async (c) => {
    const body = c.req.valid('json');
    const who = actorOf(c.get('principal'));
    if (who.kind === 'driver' && who.driverId === 0)
      throw httpError('GL_NOT_FOUND', 'the token names no driver');
    if (who.kind === 'driver' && body.terms)
      throw httpError('GL_FORBIDDEN', 'terms: set by staff only');
    const view = await engine.book(
      {
        pointId: body.pointId,
        plate: body.plate ?? null,
        driverId: body.driverId ?? null,
        start: new Date(body.start),
        end: new Date(body.end),
        hold: body.hold,
        terms: body.terms,
        requestId: body.requestId ?? null,
        source: 'api',
      },
      who,
    );
    return c.json(view, 201);
  });
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const items = await engine.list(
      {
        pointId: q.pointId,
        state: q.state,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
        before: q.cursor,
        limit: q.limit,
      },
      actorOf(c.get('principal')),
    );
    const last = items.at(-1);
    return c.json({ items, next: items.length === q.limit && last ? String(last.id) : null }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = await engine.get(id, actorOf(c.get('principal')));
    if (!view) throw httpError('GL_NOT_FOUND', `reservation ${id} not found`);
    return c.json(view, 200);
  });
  app.openapi(confirmRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await engine.confirm(id, actorOf(c.get('principal'))), 200);
  });
  app.openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    return c.json(await engine.cancel(id, reason, actorOf(c.get('principal'))), 200);
  });
  return app;
}

/** `/api/v1/points/{id}/free-slots`: mounted on /points beside the network's point routes. */
export function freeSlotRoutes(engine: ReservationEngine, options: { now: () => Date }) {
  const app = openApiApp();
  app.openapi(freeSlotsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const slots = await engine.nextFreeSlots(
      id,
      q.from ? new Date(q.from) : options.now(),
      q.duration * 60_000,
      q.count,
    );
    return c.json(
      { items: slots.map((s) => ({ start: s.start.toISOString(), end: s.end.toISOString() })) },
      200,
    );
  });
  return app;
}
