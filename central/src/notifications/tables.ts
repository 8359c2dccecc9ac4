import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>;

/** Tables of migration 0016-webhooks, known to this module only (Kysely `withTables`). */
export type WebhookTables = {
  webhooks: {
    id: Generated<number>;
    name: string;
    url: string;
    secret: string;
    created_by: string;
    created_at: Timestamp;
  };
  webhook_deliveries: {
    id: Generated<number>;
    webhook_id: number;
    event: 'alarm.raised' | 'alarm.cleared';
    alarm_id: number;
    body: string;
    state: 'pending' | 'delivered' | 'failed';
    attempts: ColumnType<number, number | undefined, number>;
    next_attempt_at: NullableTimestamp;
    created_at: Timestamp;
    finished_at: NullableTimestamp;
  };
  webhook_attempts: {
    delivery_id: number;
    attempt: number;
    at: Timestamp;
    status: number | null;
    error: string | null;
  };
};

export type WebhookDb = Kysely<Schema & WebhookTables>;

export const withWebhookTables = (db: Kysely<Schema>): WebhookDb => db.withTables<WebhookTables>();
