import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  addConnector,
  getPoint,
  networkScope,
  updateConnector,
  updatePoint,
} from '../../ev/index.js';
import type { Schema } from '../../storage/index.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, IdParam, json, security } from '../schemas.js';
import { Connector, ConnectorInput, Point, TariffJson } from './network-schemas.js';

const ConnectorParams = IdParam.extend({
  connectorNo: z.coerce
    .number()
    .int()
    .min(1)
    .max(8)
    .openapi({ param: { name: 'connectorNo', in: 'path' }, example: 1 }),
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['network'],
  summary: 'A charging point: live state, maintenance, charger, tariff, connectors',
  security,
  policy: { resource: 'station', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Point, 'The point'), ...errorResponses },
});

const updateRoute = policyRoute({
  method: 'patch',
  path: '/{id}',
  tags: ['network'],
  summary:
    "Edit a point's name, active switch or tariff (null: the company's). Maintenance and the charger binding have their own routes",
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
              active: z.boolean().optional(),
              tariff: TariffJson.optional(),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: { 200: json(Point, 'The point as stored'), ...errorResponses },
});

const addConnectorRoute = policyRoute({
  method: 'post',
  path: '/{id}/connectors',
  tags: ['network'],
  summary: 'Add a connector to a point (numbered 1..8)',
  security,
  policy: { resource: 'station', action: 'create' },
  request: {
    params: IdParam,
    body: { content: { 'application/json': { schema: ConnectorInput } }, required: true },
  },
  responses: { 201: json(Connector, 'Added'), ...errorResponses },
});

const updateConnectorRoute = policyRoute({
  method: 'put',
  path: '/{id}/connectors/{connectorNo}',
  tags: ['network'],
  summary: "Replace a connector's standard and power",
  security,
  policy: { resource: 'station', action: 'update' },
  request: {
    params: ConnectorParams,
    body: { content: { 'application/json': { schema: ConnectorInput } }, required: true },
  },
  responses: { 200: json(Connector, 'The connector as stored'), ...errorResponses },
});

/** `/points`: charging points and their connectors (ev/live adds maintenance and binding). */
export function pointRoutes(db: Kysely<Schema>, options: { now: () => Date }) {
  const app = openApiApp();

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const point = await getPoint(db, networkScope(c.get('principal')), id);
    if (!point) throw httpError('GL_NOT_FOUND', `point ${id} not found`);
    return c.json(point, 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const point = await updatePoint(
      db,
      networkScope(c.get('principal'), 'update'),
      id,
      body,
      options.now(),
    );
    return c.json(point, 200);
  });

  app.openapi(addConnectorRoute, async (c) => {
    const { id } = c.req.valid('param');
    const connector = await addConnector(
      db,
      networkScope(c.get('principal'), 'create'),
      id,
      c.req.valid('json'),
    );
    return c.json(connector, 201);
  });

  app.openapi(updateConnectorRoute, async (c) => {
    const { id, connectorNo } = c.req.valid('param');
    const connector = await updateConnector(
      db,
      networkScope(c.get('principal'), 'update'),
      id,
      connectorNo,
      c.req.valid('json'),
    );
    return c.json(connector, 200);
  });
  return app;
}
