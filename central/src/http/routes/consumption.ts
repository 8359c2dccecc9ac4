import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import { DEFAULT_TIME_ZONE } from '../../billing/index.js';
import { customerBilling, findCustomer, isTimeZone } from '../../customers/index.js';
import {
  CONSUMPTION_HEADER,
  consumptionPages,
  csvResponse,
  csvStream,
} from '../../export/index.js';
import {
  consumptionHistory,
  defaultGranularity,
  findMeter,
  granularities,
  type HistoryRange,
  meterIdsOfCustomer,
  periods,
} from '../../metering/index.js';
import type { Schema } from '../../storage/index.js';
import { localOrInstantParam } from '../dates.js';
import { httpError } from '../errors.js';
import type { openApiApp } from '../openapi-app.js';
import { policyRoute, type RoutePolicy } from '../route-policy.js';
import { errorResponses, IdParam } from '../schemas.js';
import { asksCsv, csvContent, formatParam } from './csv-format.js';

const HistoryQuery = z.object({
  period: z
    .enum(periods)
    .optional()
    .openapi({ description: 'Calendar period in the customer zone (default month)' }),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(1200)
    .default(0)
    .openapi({ description: '0 = the current period, 1 = the previous one, …' }),
  from: localOrInstantParam()
    .optional()
    .openapi({ description: 'Range start: local YYYY-MM-DD[THH:MM] or an ISO instant' }),
  to: localOrInstantParam().optional().openapi({ description: 'Range end (exclusive)' }),
  granularity: z
    .enum(granularities)
    .optional()
    .openapi({ description: 'Default: hour for a day, day for a month, month for a year' }),
  format: formatParam,
  timeZone: z
    .string()
    .refine(isTimeZone, 'expected an IANA time zone')
    .optional()
    .openapi({ description: "Default: the customer's zone, else the central's `timeZone`" }),
});

const History = z
  .object({
    timeZone: z.string(),
    granularity: z.enum(granularities),
    from: z.string().datetime(),
    to: z.string().datetime(),
    totalWh: z.number().int(),
    totalKwh: z.string(),
    buckets: z.array(
      z.object({
        start: z.string().openapi({ example: '2024-03-01' }),
        startsAt: z.string().datetime(),
        wh: z.number().int(),
        kwh: z.string().openapi({ example: '12.345' }),
      }),
    ),
    roundedToHours: z.boolean().openapi({
      description:
        'True when the range asked for cut an hour: it was widened to whole UTC hours (the rollups are hourly) and `from`/`to` are the bounds used',
    }),
    gaps: z
      .array(
        z.object({
          from: z.string().datetime().openapi({ description: 'The last interval reading before' }),
          to: z.string().datetime().openapi({ description: 'The first interval reading after' }),
        }),
      )
      .max(1000)
      .openapi({
        description:
          'Missing intervals of interval meters (energy_interval) overlapping the range: two consecutive readings further apart than metering.intervalGapSeconds. Energy of [from, to) may be missing from the buckets (the amount of a lost datagram is in no other reading): unknown, not zero (docs/METERING.md). At most 1000, oldest first.',
      }),
  })
  .openapi('ConsumptionHistory');

const route = (path: string, summary: string, policy: RoutePolicy) =>
  policyRoute({
    method: 'get',
    path,
    tags: ['consumption'],
    summary,
    description:
      'Read from the rollups: readings stored after the last rollup (the `metering.rollup` job or an alarm sweep, at most a minute apart by default) appear at the next one; a read never rolls up (docs/METERING.md).',
    security: [{ bearer: [] }],
    policy,
    request: { params: IdParam, query: HistoryQuery },
    responses: {
      200: {
        description: 'Buckets, oldest first',
        content: { 'application/json': { schema: History }, ...csvContent },
      },
      ...errorResponses,
    },
  });

const meterRoute = route('/{id}/consumption', 'Consumption history of one meter', {
  resource: 'meter',
  action: 'read',
});
const customerRoute = route(
  '/{id}/consumption',
  'Consumption history of all meters of a customer',
  { resource: 'customer', action: 'read' },
);

type Query = z.infer<typeof HistoryQuery>;

function rangeOf(q: Query): { range: HistoryRange; granularity: (typeof granularities)[number] } {
  if (q.from !== undefined || q.to !== undefined) {
    if (q.from === undefined || q.to === undefined)
      throw httpError('GL_VALIDATION', 'from, to: give both, or neither');
    if (q.period !== undefined) throw httpError('GL_VALIDATION', 'period: not with from/to');
    return { range: { from: q.from, to: q.to }, granularity: q.granularity ?? 'day' };
  }
  const period = q.period ?? 'month';
  return {
    range: { period, offset: q.offset },
    granularity: q.granularity ?? defaultGranularity[period],
  };
}

export interface ConsumptionRouteOptions {
  now: () => Date;
  /** History's zone for a meter without a customer (the central's `timeZone`). */
  timeZone?: string;
}

type SubApp = ReturnType<typeof openApiApp>;

/** `/meters/{id}/consumption` on the `/meters` sub-app, from the rollups (a read writes nothing). */
export function addMeterConsumption(
  app: SubApp,
  db: Kysely<Schema>,
  options: ConsumptionRouteOptions,
): void {
  app.openapi(meterRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const meter = await findMeter(db, c.get('principal'), id);
    if (!meter) throw httpError('GL_NOT_FOUND', `meter ${id} not found`);
    const owner =
      meter.customerId === null ? undefined : await customerBilling(db, meter.customerId);
    const { range, granularity } = rangeOf(q);
    const history = await consumptionHistory(db, {
      meterIds: [id],
      timeZone: q.timeZone ?? owner?.timeZone ?? options.timeZone ?? DEFAULT_TIME_ZONE,
      granularity,
      range,
      now: options.now(),
    });
    if (asksCsv(c))
      return csvResponse(
        `meter-${id}-consumption.csv`,
        csvStream(CONSUMPTION_HEADER, consumptionPages(history)),
      );
    return c.json(history, 200);
  });
}

/** `/customers/{id}/consumption` on the `/customers` sub-app: the sum over its meters. */
export function addCustomerConsumption(
  app: SubApp,
  db: Kysely<Schema>,
  options: ConsumptionRouteOptions,
): void {
  app.openapi(customerRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const customer = await findCustomer(db, c.get('principal'), id);
    if (!customer) throw httpError('GL_NOT_FOUND', `customer ${id} not found`);
    const meterIds = await meterIdsOfCustomer(db, id);
    const { range, granularity } = rangeOf(q);
    const history = await consumptionHistory(db, {
      meterIds,
      timeZone: q.timeZone ?? customer.timeZone,
      granularity,
      range,
      now: options.now(),
    });
    if (asksCsv(c))
      return csvResponse(
        `customer-${id}-consumption.csv`,
        csvStream(CONSUMPTION_HEADER, consumptionPages(history)),
      );
    return c.json(history, 200);
  });
}
