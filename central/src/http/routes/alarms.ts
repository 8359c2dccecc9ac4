import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  type AlarmPublisher,
  alarmSeverities,
  alarmStates,
  findAlarm,
  listAlarms,
  transitionAlarm,
} from '../../alarms/index.js';
import type { Schema } from '../../storage/index.js';
import { idCursor } from '../cursors.js';
import { httpError } from '../errors.js';
import { serialIdText } from '../ids.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { ErrorSchema, errorResponses, IdParam, json, PageQuery, security } from '../schemas.js';

const Alarm = z
  .object({
    id: z.number().int(),
    source: z.string().openapi({ example: 'meter:7' }),
    type: z.string().openapi({ example: 'meter.tamper' }),
    severity: z.enum(alarmSeverities),
    state: z.enum(alarmStates),
    customerId: z.number().int().nullable(),
    details: z.record(z.string(), z.unknown()),
    occurrences: z.number().int(),
    raisedAt: z.string().datetime(),
    lastSeenAt: z.string().datetime(),
    ackedAt: z.string().datetime().nullable(),
    ackedBy: z.string().nullable(),
    clearedAt: z.string().datetime().nullable(),
    clearedBy: z.string().nullable(),
  })
  .openapi('Alarm');

/** `a,b` or repeated `?x=a&x=b` → a list of enum values. */
const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).filter(Boolean))
    .pipe(z.array(z.enum(values)))
    .optional();

const listRoute = policyRoute({
  method: 'get',
  path: '/',
  tags: ['alarms'],
  summary: 'List alarms, newest first (customers see their own)',
  security,
  policy: { resource: 'alarm', action: 'list' },
  request: {
    query: z.object({
      state: csv(alarmStates).openapi({ description: 'Comma-separated states' }),
      severity: csv(alarmSeverities).openapi({ description: 'Comma-separated severities' }),
      active: z
        .enum(['true', 'false'])
        .transform((v) => v === 'true')
        .optional(),
      type: z.string().max(64).optional(),
      source: z.string().max(200).optional(),
      customerId: serialIdText().optional(),
      limit: PageQuery.shape.limit,
      cursor: idCursor(),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(Alarm), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{id}',
  tags: ['alarms'],
  summary: 'One alarm',
  security,
  policy: { resource: 'alarm', action: 'read' },
  request: { params: IdParam },
  responses: { 200: json(Alarm, 'The alarm'), ...errorResponses },
});

/** Acknowledging is the alarm's `act`, clearing its `update` (access table). */
const transitionRoute = (event: 'ack' | 'clear', summary: string) =>
  policyRoute({
    method: 'post',
    path: `/{id}/${event}`,
    tags: ['alarms'],
    summary,
    security,
    policy: { resource: 'alarm', action: event === 'ack' ? 'act' : 'update' },
    request: { params: IdParam },
    responses: {
      200: json(Alarm, 'The alarm after the transition'),
      409: json(ErrorSchema, 'Not allowed from the current state (GL_ALARM_TRANSITION)'),
      ...errorResponses,
    },
  });

const ackRoute = transitionRoute(
  'ack',
  'Acknowledge an alarm (staff, or the customer it belongs to)',
);
const clearRoute = transitionRoute('clear', 'Clear an alarm (staff)');

export interface AlarmRouteOptions {
  now: () => Date;
  publisher?: AlarmPublisher;
}

export function alarmRoutes(db: Kysely<Schema>, options: AlarmRouteOptions) {
  const app = openApiApp();
  const notify = { publisher: options.publisher };

  app.openapi(listRoute, async (c) => {
    const { limit, cursor: before, ...filter } = c.req.valid('query');
    const page = await listAlarms(db, c.get('principal'), filter, { limit, before });
    return c.json(page as { items: z.infer<typeof Alarm>[]; next: string | null }, 200);
  });

  app.openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const alarm = await findAlarm(db, c.get('principal'), id);
    if (!alarm) throw httpError('GL_NOT_FOUND', `alarm ${id} not found`);
    return c.json(alarm as z.infer<typeof Alarm>, 200);
  });

  app.openapi(ackRoute, async (c) => {
    const { id } = c.req.valid('param');
    const alarm = await transitionAlarm(db, c.get('principal'), id, 'ack', options.now(), notify);
    if (!alarm) throw httpError('GL_NOT_FOUND', `alarm ${id} not found`);
    return c.json(alarm as z.infer<typeof Alarm>, 200);
  });

  app.openapi(clearRoute, async (c) => {
    const { id } = c.req.valid('param');
    const alarm = await transitionAlarm(db, c.get('principal'), id, 'clear', options.now(), notify);
    if (!alarm) throw httpError('GL_NOT_FOUND', `alarm ${id} not found`);
    return c.json(alarm as z.infer<typeof Alarm>, 200);
  });
  return app;
}
