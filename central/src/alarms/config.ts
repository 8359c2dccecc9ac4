import { z } from 'zod';
import { type AlarmRulesConfig, DEFAULT_RULES } from './rules.js';
import type { VoltageBand } from './voltage.js';

const pair = z.tuple([z.number().finite(), z.number().finite()]);

const bandSchema = z
  .object({
    /** The nominal phase voltage (V) the band applies to: the nearest nominal wins. */
    nominal: z.number().positive(),
    /** [min, max] V, inclusive: adequate. */
    adequate: pair,
    /** [min, max] V, inclusive, around `adequate`: precarious; outside it, critical. */
    precarious: pair,
  })
  .strict()
  .refine((b) => b.adequate[0] <= b.adequate[1], {
    message: 'adequate: min above max',
    path: ['adequate'],
  })
  .refine((b) => b.precarious[0] <= b.adequate[0] && b.adequate[1] <= b.precarious[1], {
    message: 'precarious: must contain the adequate range',
    path: ['precarious'],
  })
  .refine((b) => b.adequate[0] <= b.nominal && b.nominal <= b.adequate[1], {
    message: 'adequate: must contain the nominal voltage',
    path: ['adequate'],
  });

/** The same copy of the defaults every time, so a parsed config never shares DEFAULT_RULES. */
const bands = (): VoltageBand[] =>
  DEFAULT_RULES.voltage.bands.map((b) => ({
    nominal: b.nominal,
    adequate: [...b.adequate],
    precarious: [...b.precarious],
  }));

/**
 * The central config's `alarms` section (docs/ALARMS.md, "Thresholds"): the thresholds of the
 * alarm rules, strict at every level, defaults equal to DEFAULT_RULES. Parsed once at start-up
 * with the rest of the config (a bad value names its key path and the central exits 2).
 */
export const alarmsConfigSchema = z
  .object({
    baseline: z
      .object({
        /** The last 24 h above factor × the mean day of the 28 before. */
        factor: z.number().gt(1).max(1000).default(DEFAULT_RULES.baseline.factor),
        /** Days with data needed in the 28 before. */
        minDays: z.number().int().min(1).max(28).default(DEFAULT_RULES.baseline.minDays),
      })
      .strict()
      .prefault({}),
    invoice: z
      .object({
        /** The newest invoice above the mean of the previous ones by this many percent. */
        percent: z.number().int().min(0).max(10_000).default(DEFAULT_RULES.invoice.percent),
        /** How many previous invoices make the mean. */
        window: z.number().int().min(1).max(24).default(DEFAULT_RULES.invoice.window),
        /** Previous invoices needed before the rule speaks. */
        minPrevious: z.number().int().min(1).max(24).default(DEFAULT_RULES.invoice.minPrevious),
      })
      .strict()
      .refine((i) => i.minPrevious <= i.window, {
        message: 'minPrevious: more than window',
        path: ['minPrevious'],
      })
      .prefault({}),
    voltage: z
      .object({ bands: z.array(bandSchema).min(1).max(16).default(bands) })
      .strict()
      .prefault({}),
    /** An edge (or a device of an online edge) not heard from this long is offline. */
    edgeOfflineAfterMs: z
      .number()
      .int()
      .min(10_000)
      .max(7 * 24 * 3_600_000)
      .default(DEFAULT_RULES.edgeOfflineAfterMs),
    excess: z
      .object({
        /** Any single interval reading above this many kWh raises consumption.excess. */
        singleReadingKwh: z
          .number()
          .positive()
          .max(1_000_000_000)
          .default(DEFAULT_RULES.excess.singleReadingKwh),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AlarmsConfig = z.output<typeof alarmsConfigSchema>;

/** The parsed section is the sweep's rules config (checked by the compiler). */
export const alarmRules = (config: AlarmsConfig): AlarmRulesConfig => config;
