import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AlarmPublisher } from '../alarms/index.js';
import type { Schema } from '../storage/index.js';
import { enqueueDeliveries } from './store.js';

const EVENTS = { raised: 'alarm.raised', cleared: 'alarm.cleared' } as const;

/**
 * Decorates the alarm publisher: a raise or clear (not an acknowledgement, not a refresh) also
 * queues one webhook delivery per registered endpoint, then wakes the dispatcher. The transition
 * is published after its commit (alarms/store.ts), so a central that dies between the two loses
 * that transition's webhooks (docs/ALARMS.md says so); the API stays the source of truth.
 */
export function webhookAlarmPublisher(options: {
  db: Kysely<Schema>;
  inner?: AlarmPublisher;
  now: () => Date;
  notify: () => void;
  logger: Logger;
}): AlarmPublisher {
  return {
    publish: async (topic, payload) => {
      try {
        const { transition, alarm } = JSON.parse(payload) as {
          transition: string;
          alarm: { id: number };
        };
        const event = EVENTS[transition as keyof typeof EVENTS];
        if (event && (await enqueueDeliveries(options.db, event, alarm, alarm, options.now())) > 0)
          options.notify();
      } catch (err) {
        options.logger.error({ err }, 'alarm webhooks not queued');
      }
      await options.inner?.publish(topic, payload);
    },
  };
}
