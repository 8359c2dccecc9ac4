import { z } from '@hono/zod-openapi';
import { type ChargingSessions, sessionActor, sessionScope } from '../../ev/index.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, json, PageQuery, security } from '../schemas.js';
import { inlineHashes, pageCsp } from '../security-headers.js';

const states = ['active', 'finished', 'priced', 'void'] as const;

const Line = z
  .object({
    dimension: z.enum(['ENERGY', 'TIME', 'PARKING_TIME', 'FLAT', 'MIN_PRICE', 'MAX_PRICE']),
    element: z.number().int().nullable(),
    price: z.string().nullable().openapi({ description: 'R$/kWh, R$/h or R$ per session' }),
    quantity: z.string().openapi({ example: '23.456' }),
    unit: z.enum(['kWh', 'min', 'session']),
    amountCentavos: z.number().int(),
    from: z.string().datetime(),
    to: z.string().datetime(),
  })
  .openapi('SessionPriceLine');

const Session = z
  .object({
    id: z.number().int(),
    pointId: z.number().int(),
    plate: z.string().nullable(),
    driverId: z.number().int().nullable(),
    reservationId: z.number().int().nullable(),
    state: z.enum(states),
    startedAt: z.string().datetime(),
    chargingStartedAt: z.string().datetime().nullable(),
    chargingStoppedAt: z.string().datetime().nullable(),
    endedAt: z.string().datetime().nullable(),
    energyWh: z.number().int().nullable(),
    maxPowerW: z.number().nullable(),
    startedBy: z.string(),
    stoppedBy: z.string().nullable(),
    endReason: z.string().nullable(),
    timeZone: z.string(),
    totalCentavos: z.number().int().nullable(),
    price: z
      .object({
        currency: z.literal('BRL'),
        lines: z.array(Line),
        totalCentavos: z.number().int(),
        energyWh: z.number().int(),
        chargingSeconds: z.number().int(),
        parkingSeconds: z.number().int(),
      })
      .nullable(),
    pixTxid: z.string().nullable(),
    paidAt: z.string().datetime().nullable(),
  })
  .openapi('ChargingSession');

const Receipt = z
  .object({
    sessionId: z.number().int(),
    pointId: z.number().int(),
    plate: z.string().nullable(),
    startedAt: z.string().datetime(),
    endedAt: z.string().datetime(),
    timeZone: z.string(),
    energyWh: z.number().int(),
    lines: z.array(Line),
    totalCentavos: z.number().int(),
    total: z.string().openapi({ example: 'R$ 45,74' }),
    paidAt: z.string().datetime().nullable(),
    pix: z
      .object({
        payload: z.string().openapi({ description: 'Pix copia e cola (BR Code)' }),
        txid: z.string(),
        qrPngDataUrl: z.string(),
      })
      .nullable(),
  })
  .openapi('ChargingReceipt');

const Command = z.object({ id: z.string(), state: z.string() });

const conflict = {
  409: {
    description:
      'GL_CONFLICT (a session already open / none open, or not priced yet), GL_EV_POINT_UNBOUND, GL_EV_POINT_RESERVED, GL_EV_START_REFUSED',
    content: {
      'application/json': {
        schema: z.object({
          error: z.object({
            code: z.string().openapi({ example: 'GL_EV_POINT_RESERVED' }),
            message: z.string(),
            details: z.object({}).passthrough().optional(),
          }),
        }),
      },
    },
  },
} as const;

const startRoute = policyRoute({
  method: 'post',
  path: '/{id}/start',
  tags: ['sessions'],
  summary:
    'Remote start on a charging point for a car (a driver: its own car). Authorized against the bookings, then `start` goes to the bound charger; the session that follows is attributed to the car',
  security,
  policy: { resource: 'charging-session', action: 'create' },
  request: {
    params: IdParam,
    body: {
      content: {
        'application/json': {
          schema: z
            .object({ plate: z.string().min(1).max(16).openapi({ example: 'ABC1D23' }) })
            .strict(),
        },
      },
      // Without it a request with no body reached the engine with no plate (500).
      required: true,
    },
  },
  responses: {
    202: json(
      z.object({
        pointId: z.number().int(),
        plate: z.string(),
        driverId: z.number().int().nullable(),
        reservationId: z.number().int().nullable(),
        command: Command,
        expiresAt: z.string().datetime(),
      }),
      'Start sent to the charger',
    ),
    ...errorResponses,
    ...conflict,
  },
});

const stopRoute = policyRoute({
  method: 'post',
  path: '/{id}/stop',
  tags: ['sessions'],
  summary: "Remote stop of the point's open session (a driver: its own session)",
  security,
  policy: { resource: 'charging-session', action: 'act' },
  request: { params: IdParam },
  responses: {
    202: json(z.object({ session: Session, command: Command }), 'Stop sent to the charger'),
    ...errorResponses,
    ...conflict,
  },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['sessions'],
  summary: "Charging sessions, newest first: a driver's own, an operator's company's, or all",
  security,
  policy: { resource: 'charging-session', action: 'list' },
  request: {
    query: PageQuery.extend({
      pointId: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
      state: z.enum(states).optional(),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(Session), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['sessions'],
  summary: 'One charging session',
  security,
  policy: { resource: 'charging-session', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Session, 'The session'), ...errorResponses },
});

const receiptRoute = policyRoute({
  method: 'get',
  path: '/{id}/receipt',
  tags: ['sessions'],
  summary:
    'The receipt of a priced session: its lines, total and a Pix copia e cola with its QR (the amount is the total, the txid unique per session)',
  security,
  policy: { resource: 'charging-session', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Receipt, 'The receipt'), ...errorResponses, ...conflict },
});

const receiptHtmlRoute = policyRoute({
  method: 'get',
  path: '/{id}/receipt/html',
  tags: ['sessions'],
  summary: 'The printable receipt (pt-BR HTML with the Pix QR code)',
  security,
  policy: { resource: 'charging-session', action: 'read' },
  request: { params: IdParam },
  responses: {
    200: { description: 'HTML', content: { 'text/html': { schema: z.string() } } },
    ...errorResponses,
    ...conflict,
  },
});

/** `POST /api/v1/points/{id}/start` and `/stop` (docs/EV.md, "Sessions and pricing"). */
export function pointSessionRoutes(sessions: ChargingSessions) {
  const app = openApiApp();
  app.openapi(startRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { plate } = c.req.valid('json');
    const started = await sessions.start(id, plate, sessionActor(c.get('principal'), 'create'));
    return c.json(started, 202);
  });
  app.openapi(stopRoute, async (c) => {
    const { id } = c.req.valid('param');
    const stopped = await sessions.stop(id, sessionActor(c.get('principal'), 'act'));
    return c.json(stopped, 202);
  });
  return app;
}

/** `/api/v1/sessions`: list, one, and the receipt with Pix. */
export function sessionRoutes(sessions: ChargingSessions) {
  const app = openApiApp();
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const items = await sessions.list(
      { pointId: q.pointId, state: q.state, before: q.cursor, limit: q.limit },
      sessionScope(c.get('principal'), 'list'),
    );
    const last = items.at(-1);
    return c.json({ items, next: items.length === q.limit && last ? String(last.id) : null }, 200);
  });
  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = await sessions.get(id, sessionScope(c.get('principal'), 'read'));
    if (!view) throw httpError('GL_NOT_FOUND', `session ${id} not found`);
    return c.json(view, 200);
  });
  app.openapi(receiptRoute, async (c) => {
    const { id } = c.req.valid('param');
    const receipt = await sessions.receipt(id, sessionScope(c.get('principal'), 'read'));
    if (!receipt) throw httpError('GL_NOT_FOUND', `session ${id} not found`);
    return c.json(receipt, 200);
  });
  app.openapi(receiptHtmlRoute, async (c) => {
    const { id } = c.req.valid('param');
    const page = await sessions.receiptHtml(id, sessionScope(c.get('principal'), 'read'));
    if (!page) throw httpError('GL_NOT_FOUND', `session ${id} not found`);
    // The page's own stylesheet by its hash; the QR code is inline SVG: nothing else loads.
    return c.html(page, 200, {
      'content-security-policy': pageCsp({ style: inlineHashes(page, 'style') }),
      'content-language': 'pt-BR',
    });
  });
  return app;
}
