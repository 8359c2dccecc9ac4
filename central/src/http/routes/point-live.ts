import { idSchema } from '@gridlink/shared';
import { z } from '@hono/zod-openapi';
import type { Principal } from '../../access/index.js';
import {
  availabilityOf,
  type LiveActor,
  type LiveChargers,
  type PointLive,
} from '../../ev/index.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { ErrorSchema, errorResponses, IdParam, json, security } from '../schemas.js';

const pointStates = [
  'available',
  'preparing',
  'charging',
  'finishing',
  'reserved',
  'faulted',
  'unavailable',
  'unknown',
] as const;

const PointLiveView = z
  .object({
    pointId: z.number().int(),
    stationId: z.number().int(),
    companyId: z.string(),
    active: z.boolean(),
    maintenance: z.object({
      on: z.boolean(),
      reason: z.string().nullable(),
      by: z.string().nullable(),
      at: z.string().datetime().nullable(),
    }),
    charger: z
      .object({ edgeId: z.string(), deviceId: z.string() })
      .nullable()
      .openapi({ description: 'The bound charger device, as its edge names it' }),
    state: z.enum(pointStates).openapi({
      description:
        "OCPP 1.6 ChargePointStatus from the charger's telemetry; unknown before any, or while the charger or its edge is offline",
    }),
    stateAt: z
      .string()
      .datetime()
      .nullable()
      .openapi({ description: 'When the reading (or offline report) that set it was taken' }),
    faultCode: z.number().int().nullable(),
    powerW: z.number().nullable(),
    sessionEnergyWh: z.number().int().nullable(),
    energyTotalWh: z.number().int().nullable(),
    disponivel: z.boolean().openapi({ description: 'Seed A availability (docs/EV.md)' }),
  })
  .openapi('PointLive');

const AvailabilityView = z
  .object({
    ponto_id: z.number().int(),
    disponivel: z.boolean(),
    em_manutencao: z.boolean(),
  })
  .openapi('PointAvailability', {
    description: 'Seed A `pontos/{id}/disponibilidade`, the same fields and meanings',
  });

const liveRoute = policyRoute({
  method: 'get',
  path: '/{id}/live',
  tags: ['network'],
  summary: "A point's live state from its charger, maintenance and availability",
  security,
  policy: { resource: 'station', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(PointLiveView, 'The point'), ...errorResponses },
});

const availabilityRoute = policyRoute({
  method: 'get',
  path: '/{id}/availability',
  tags: ['network'],
  summary:
    "Seed A's availability of a point (what `pontos/{id}/disponibilidade` carries, retained)",
  security,
  policy: { resource: 'station', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(AvailabilityView, 'Its availability'), ...errorResponses },
});

const bindRoute = policyRoute({
  method: 'put',
  path: '/{id}/binding',
  tags: ['network'],
  summary:
    'Bind a charger device an edge reported (kind charger) to the point; its live state starts over from the next reading',
  security,
  policy: { resource: 'station', action: 'update' },
  request: {
    params: IdParam,
    body: {
      content: {
        'application/json': {
          schema: z.object({ edgeId: idSchema, deviceId: idSchema }).strict(),
        },
      },
    },
  },
  responses: {
    200: json(PointLiveView, 'Bound (binding the same device again changes nothing)'),
    ...errorResponses,
    409: json(ErrorSchema, 'The device is bound to another point (GL_EV_DEVICE_BOUND)'),
  },
});

const unbindRoute = policyRoute({
  method: 'delete',
  path: '/{id}/binding',
  tags: ['network'],
  summary: "Unbind the point's charger (a no-op when none is bound)",
  security,
  policy: { resource: 'station', action: 'update' },
  request: { params: IdParam },
  responses: { 200: json(PointLiveView, 'Unbound'), ...errorResponses },
});

const maintenanceRoute = policyRoute({
  method: 'put',
  path: '/{id}/maintenance',
  tags: ['network'],
  summary:
    'Set or clear maintenance (who and when recorded): a point in maintenance is not available, whatever its charger says',
  security,
  policy: { resource: 'station', action: 'update' },
  request: {
    params: IdParam,
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              on: z.boolean(),
              reason: z.string().min(1).max(500).optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: { 200: json(PointLiveView, 'The point as stored'), ...errorResponses },
});

/** An operator whose token names a company acts only on that company's points. */
function actorOf(who: Principal): LiveActor {
  return {
    by: `${who.role}:${who.tokenId}`,
    companyId: who.role === 'operator' ? who.subject : null,
  };
}

function view(p: PointLive) {
  const { disponivel } = availabilityOf({
    pointId: p.pointId,
    active: p.active,
    maintenance: p.maintenance,
    state: p.state,
    bound: p.charger !== null,
  });
  return {
    pointId: p.pointId,
    stationId: p.stationId,
    companyId: p.companyId,
    active: p.active,
    maintenance: {
      on: p.maintenance,
      reason: p.maintenanceReason,
      by: p.maintenanceBy,
      at: p.maintenanceAt?.toISOString() ?? null,
    },
    charger: p.charger,
    state: p.state,
    stateAt: p.stateAt?.toISOString() ?? null,
    faultCode: p.faultCode,
    powerW: p.powerW,
    sessionEnergyWh: p.sessionEnergyWh,
    energyTotalWh: p.energyTotalWh,
    disponivel,
  };
}

/**
 * `/api/v1/points/{id}/live|availability|binding|maintenance` (docs/EV.md, "Live state"), a
 * sub-app of its own on `/points` beside ev/network's (distinct sub-paths).
 */
export function pointLiveRoutes(live: LiveChargers) {
  const app = openApiApp();

  app.openapi(liveRoute, async (c) => {
    const { id } = c.req.valid('param');
    const p = await live.get(id, actorOf(c.get('principal')).companyId);
    if (!p) throw httpError('GL_NOT_FOUND', `charging point ${id} not found`);
    return c.json(view(p), 200);
  });
  app.openapi(availabilityRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await live.availability(id), 200);
  });
  app.openapi(bindRoute, async (c) => {
    const { id } = c.req.valid('param');
    const p = await live.bind(id, c.req.valid('json'), actorOf(c.get('principal')));
    return c.json(view(p), 200);
  });
  app.openapi(unbindRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(view(await live.unbind(id, actorOf(c.get('principal')))), 200);
  });
  app.openapi(maintenanceRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { on, reason } = c.req.valid('json');
    const p = await live.setMaintenance(id, on, reason ?? null, actorOf(c.get('principal')));
    return c.json(view(p), 200);
  });
  return app;
}
