import { type Kysely, sql } from 'kysely';
import { rollupMeters } from '../metering/index.js';
import type { Schema } from '../storage/index.js';
import { type AlarmRulesConfig, conditionRules, DEFAULT_RULES, eventRules } from './rules.js';
import { clearResolved, type Notify, raiseAlarm } from './store.js';

export interface SweepOptions extends Notify {
  now: Date;
  rules?: Partial<AlarmRulesConfig>;
}

export interface SweepResult {
  raised: number;
  refreshed: number;
  cleared: number;
}

/**
 * One pass of every alarm rule. Rolls readings up first, up to `now` plus the rollup horizon
 * (consumption, tamper and voltage rules read the rollups). Condition rules raise or refresh what holds and clear what stopped holding;
 * event rules raise for each new event after their cursor and then move the cursor, so every
 * event is alarmed at least once (a crash in between re-raises, i.e. refreshes, next pass).
 */
export async function sweepAlarms(db: Kysely<Schema>, options: SweepOptions): Promise<SweepResult> {
  const cfg: AlarmRulesConfig = { ...DEFAULT_RULES, ...options.rules };
  const result: SweepResult = { raised: 0, refreshed: 0, cleared: 0 };
  await rollupMeters(db, undefined, { now: options.now });
  for (const rule of conditionRules) {
    const conditions = await rule.evaluate(db, options.now, cfg);
    for (const c of conditions) {
      const { created } = await raiseAlarm(db, c, options.now, options);
      if (created) result.raised += 1;
      else result.refreshed += 1;
    }
    const holding = new Set(conditions.map((c) => c.source));
    result.cleared += await clearResolved(db, rule.type, holding, options.now, options);
  }
  for (const rule of eventRules) {
    const cursor = await db
      .selectFrom('alarm_cursors')
      .select('last_id')
      .where('name', '=', rule.type)
      .executeTakeFirst();
    const { conditions, last } = await rule.evaluate(db, Number(cursor?.last_id ?? 0));
    for (const c of conditions) {
      const { created } = await raiseAlarm(db, c, options.now, options);
      if (created) result.raised += 1;
      else result.refreshed += 1;
    }
    await db
      .insertInto('alarm_cursors')
      .values({ name: rule.type, last_id: last })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ last_id: sql`GREATEST(alarm_cursors.last_id, excluded.last_id)` }),
      )
      .execute();
  }
  return result;
}
