import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { COMPANY_ID, publicAvailability } from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import { storableUrl } from '../json-body.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, PageQuery } from '../schemas.js';
import { Connector } from './network-schemas.js';

const PublicPoint = z
  .object({
    id: z.number().int(),
    name: z.string(),
    status: z.enum(['available', 'occupied', 'unavailable', 'unknown']).openapi({
      description:
        'available = seed A disponivel; occupied = a car is on it or it is reserved; unavailable = inactive, in maintenance, faulted or out of service; unknown = the charger is offline',
    }),
    connectors: z.array(Connector),
  })
  .openapi('PublicPoint');

const PublicStation = z
  .object({
    id: z.number().int(),
    name: z.string(),
    address: z.string().nullable(),
    latitude: z.number(),
    longitude: z.number(),
    timeZone: z.string(),
    points: z.number().int(),
    availablePoints: z.number().int(),
    pointList: z.array(PublicPoint),
  })
  .openapi('PublicStation');

const availabilityRoute = policyRoute({
  method: 'get',
  path: '/companies/{companyId}/availability',
  tags: ['network'],
  summary:
    "A company's stations and whether each point can be used now, for anyone (no sign-in): places, points, connectors and status only; nothing personal (no bookings, plates, maintenance notes or chargers)",
  policy: { public: 'public availability page of a company (issue #20): non-personal data only' },
  request: {
    params: z.object({
      companyId: z
        .string()
        .regex(COMPANY_ID, 'a company id is 1-63 of a-z 0-9 _ - (starting with a letter or digit)')
        .openapi({ param: { name: 'companyId', in: 'path' }, example: 'feira' }),
    }),
    query: PageQuery,
  },
  responses: {
    200: json(
      z.object({
        company: z.object({ id: z.string(), name: z.string() }),
        items: z.array(PublicStation),
        next: z.string().nullable(),
      }),
      'A page of stations, in id order',
    ),
    ...errorResponses,
  },
});

/** `/api/v1/public`: read-only, non-personal, no token (mounted outside the authenticated API). */
export function publicRoutes(db: Kysely<Schema>) {
  const app = openApiApp();
  app.use('*', storableUrl());
  app.openapi(availabilityRoute, async (c) => {
    const { companyId } = c.req.valid('param');
    const q = c.req.valid('query');
    const page = await publicAvailability(db, companyId, {
      limit: q.limit,
      ...(q.cursor === undefined ? {} : { after: q.cursor }),
    });
    if (!page) throw httpError('GL_NOT_FOUND', `no company ${companyId}`);
    c.header('cache-control', 'no-cache');
    return c.json(page, 200);
  });
  return app;
}
