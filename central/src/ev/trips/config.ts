import { z } from 'zod';

/** `ev.trips` (docs/CONFIG.md): the planner's defaults and the availability watches. */
export const tripsConfigSchema = z
  .object({
    /** Road km = great-circle km x this (geo.ts). */
    roadFactor: z.number().min(1).max(3).default(1.3),
    /** Cruising speed = min(0.7 x the car's top speed, this), km/h. */
    roadSpeedKmh: z.number().min(10).max(150).default(90),
    /** The SoC discretization, % per unit (divides 100). */
    socStepPct: z
      .union([z.literal(1), z.literal(2), z.literal(4), z.literal(5), z.literal(10)])
      .default(1),
    /** Time lost per stop (detour, parking, plugging in), minutes, unless the request says. */
    stopOverheadMinutes: z.number().min(0).max(120).default(5),
    minStopSocPct: z.number().min(0).max(100).default(10),
    minDestSocPct: z.number().min(0).max(100).default(10),
    /** Power assumed for a point with no connectors on record, kW. */
    defaultPointPowerKw: z.number().min(1).max(1000).default(50),
    /** A point seen charging/preparing/finishing is assumed busy this long from now, minutes. */
    occupiedMinutes: z.number().int().min(0).max(1440).default(30),
    /** How far ahead bookings are read for availability at arrival, hours. */
    horizonHours: z.number().int().min(1).max(720).default(48),
    /** A watch expires after this many minutes unless the request says less. */
    watchTtlMinutes: z.number().int().min(1).max(10_080).default(240),
    /** Every this many ms open watches are checked against the points (missed events). */
    watchReconcileMs: z.number().int().min(100).max(3_600_000).default(30_000),
  })
  .strict()
  .prefault({});

export type TripsConfig = z.output<typeof tripsConfigSchema>;
