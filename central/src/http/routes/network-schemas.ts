import { z } from '@hono/zod-openapi';

/** OpenAPI shapes of the charging network (ev/network), shared by its three sub-apps. */

export const TariffJson = z.unknown().openapi({
  description:
    'An OCPI-shaped tariff (docs/EV.md, "Tariffs"): `{currency:"BRL", elements:[{price_components:[{type, price, step_size}], restrictions?}], min_price?, max_price?}`',
  example: { elements: [{ price_components: [{ type: 'ENERGY', price: '1.95', step_size: 1 }] }] },
});

export const Company = z
  .object({
    id: z.string().openapi({ example: 'feira' }),
    name: z.string(),
    defaultTariff: TariffJson.nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('Company');

export const Connector = z
  .object({
    connectorNo: z.number().int(),
    standard: z.enum(['type1', 'type2', 'ccs1', 'ccs2', 'chademo', 'gbt_ac', 'gbt_dc']),
    powerType: z.enum(['ac', 'dc']),
    maxPowerW: z.number().int(),
  })
  .openapi('Connector');

export const ConnectorInput = z
  .object({
    standard: z.enum(['type1', 'type2', 'ccs1', 'ccs2', 'chademo', 'gbt_ac', 'gbt_dc']),
    powerType: z
      .enum(['ac', 'dc'])
      .optional()
      .openapi({ description: "Default: the standard's (type2 → ac, ccs2 → dc)" }),
    maxPowerW: z.number().int().min(1).max(1_000_000),
  })
  .strict()
  .openapi('ConnectorInput');

export const Point = z
  .object({
    id: z.number().int(),
    stationId: z.number().int(),
    companyId: z.string(),
    externalId: z.string(),
    name: z.string(),
    active: z.boolean(),
    available: z.boolean().openapi({
      description: 'Active, not in maintenance, and available (or no charger bound yet)',
    }),
    maintenance: z.object({
      on: z.boolean(),
      reason: z.string().nullable(),
      by: z.string().nullable(),
      at: z.string().datetime().nullable(),
    }),
    tariff: TariffJson.nullable(),
    charger: z.object({ edgeId: z.string(), deviceId: z.string() }).nullable(),
    state: z.enum([
      'available',
      'preparing',
      'charging',
      'finishing',
      'reserved',
      'faulted',
      'unavailable',
      'unknown',
    ]),
    stateAt: z.string().datetime().nullable(),
    faultCode: z.number().int().nullable(),
    powerW: z.number().nullable(),
    sessionEnergyWh: z.number().nullable(),
    energyTotalWh: z.number().nullable(),
    connectors: z.array(Connector),
  })
  .openapi('ChargingPoint');

export const Station = z
  .object({
    id: z.number().int(),
    companyId: z.string(),
    externalId: z.string(),
    name: z.string(),
    address: z.string().nullable(),
    latitude: z.number(),
    longitude: z.number(),
    timeZone: z.string(),
    points: z.number().int(),
    availablePoints: z.number().int(),
    distanceKm: z.number().optional(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Station');

export const StationDetail = Station.extend({ pointList: z.array(Point) }).openapi('StationDetail');

export const PointInput = z
  .object({
    externalId: z.string().min(1).max(64).optional(),
    name: z.string().min(1).max(200),
    active: z.boolean().optional(),
    tariff: TariffJson.optional(),
    connectors: z.array(ConnectorInput).min(1).max(8).optional(),
  })
  .strict()
  .openapi('PointInput');

const Issue = z.object({
  line: z.number().int(),
  column: z.number().int().nullable(),
  field: z.string().nullable(),
  reason: z.string(),
});

export const ImportReport = z
  .object({
    companyId: z.string(),
    format: z.enum(['feira', 'points']),
    companyCreated: z.boolean(),
    rows: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    points: z.object({
      created: z.number().int(),
      updated: z.number().int(),
      unchanged: z.number().int(),
    }),
    errors: z.array(Issue),
    warnings: z.array(Issue),
  })
  .openapi('NetworkImportReport');
