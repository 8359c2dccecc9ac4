import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  addPoint,
  COMPANY_ID,
  createStation,
  getStation,
  listStations,
  networkScope,
  updateStation,
} from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, json, PageQuery, security } from '../schemas.js';
import { Point, PointInput, Station, StationDetail } from './network-schemas.js';

const bool = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['network'],
  summary:
    'List charging stations: by company, within `radiusKm` of `lat`,`lon` (all three together), or with a free point (`available=true`)',
  security,
  policy: { resource: 'station', action: 'list' },
  request: {
    query: PageQuery.extend({
      company: z
        .string()
        .regex(COMPANY_ID, 'a company id')
        .optional()
        .openapi({ description: 'Only this company' }),
      lat: z.coerce.number().min(-90).max(90).optional(),
      lon: z.coerce.number().min(-180).max(180).optional(),
      radiusKm: z.coerce.number().gt(0).max(20_000).optional(),
      available: bool.openapi({ type: 'boolean', description: 'Only stations with a free point' }),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(Station), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['network'],
  summary: 'A station with its points (live state included) and connectors',
  security,
  policy: { resource: 'station', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(StationDetail, 'The station'), ...errorResponses },
});

/** The 409 of a create whose external id the company already uses. */
const externalIdTaken = json(
  z.object({ error: z.object({ code: z.string() }) }),
  'The external id is taken',
);

const createRoute = policyRoute({
  method: 'post',
  path: '/',
  tags: ['network'],
  summary: 'Create a station with its points (default: one point, one Type 2 AC 22 kW connector)',
  security,
  policy: { resource: 'station', action: 'create' },
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              companyId: z.string().regex(COMPANY_ID, 'a company id'),
              externalId: z.string().min(1).max(64).optional(),
              name: z.string().min(1).max(200),
              address: z.string().min(1).max(300).nullable().optional(),
              latitude: z.number().min(-90).max(90),
              longitude: z.number().min(-180).max(180),
              timeZone: z.string().min(1).max(64).optional(),
              points: z.array(PointInput).min(1).max(16).optional(),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    201: json(StationDetail, 'Created'),
    409: externalIdTaken,
    ...errorResponses,
  },
});

const updateRoute = policyRoute({
  method: 'patch',
  path: '/{id}',
  tags: ['network'],
  summary: "Edit a station's name, address, place or time zone",
  security,
  policy: { resource: 'station', action: 'update' },
  request: {
    params: IdParam,
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              name: z.string().min(1).max(200).optional(),
              address: z.string().min(1).max(300).nullable().optional(),
              latitude: z.number().min(-90).max(90).optional(),
              longitude: z.number().min(-180).max(180).optional(),
              timeZone: z.string().min(1).max(64).optional(),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: { 200: json(StationDetail, 'The station as stored'), ...errorResponses },
});

const addPointRoute = policyRoute({
  method: 'post',
  path: '/{id}/points',
  tags: ['network'],
  summary: 'Add a charging point to a station',
  security,
  policy: { resource: 'station', action: 'create' },
  request: {
    params: IdParam,
    body: { content: { 'application/json': { schema: PointInput } }, required: true },
  },
  responses: {
    201: json(Point, 'Added'),
    409: externalIdTaken,
    ...errorResponses,
  },
});

/** `/stations`: charging stations and their points. */
export function stationRoutes(db: Kysely<Schema>, options: { now: () => Date }) {
  const app = openApiApp();

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const given = [q.lat, q.lon, q.radiusKm].filter((v) => v !== undefined).length;
    if (given !== 0 && given !== 3)
      throw httpError('GL_VALIDATION', 'lat, lon, radiusKm: give all three or none');
    const page = await listStations(db, networkScope(c.get('principal'), 'list'), {
      limit: q.limit,
      ...(q.cursor === undefined ? {} : { after: q.cursor }),
      ...(q.company === undefined ? {} : { companyId: q.company }),
      ...(given === 3
        ? {
            near: {
              latitude: q.lat as number,
              longitude: q.lon as number,
              radiusKm: q.radiusKm as number,
            },
          }
        : {}),
      ...(q.available === undefined ? {} : { available: q.available }),
    });
    return c.json(page, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const station = await getStation(db, networkScope(c.get('principal')), id);
    if (!station) throw httpError('GL_NOT_FOUND', `station ${id} not found`);
    return c.json(station, 200);
  });

  app.openapi(createRoute, async (c) => {
    const body = c.req.valid('json');
    const station = await createStation(
      db,
      networkScope(c.get('principal'), 'create'),
      body,
      options.now(),
    );
    return c.json(station, 201);
  });

  app.openapi(updateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const station = await updateStation(
      db,
      networkScope(c.get('principal'), 'update'),
      id,
      c.req.valid('json'),
      options.now(),
    );
    return c.json(station, 200);
  });

  app.openapi(addPointRoute, async (c) => {
    const { id } = c.req.valid('param');
    const point = await addPoint(
      db,
      networkScope(c.get('principal'), 'create'),
      id,
      c.req.valid('json'),
      options.now(),
    );
    return c.json(point, 201);
  });
  return app;
}
