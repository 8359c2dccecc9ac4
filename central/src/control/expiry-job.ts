import type { Kysely } from 'kysely';
import type { Schema } from '../storage/index.js';
import { expireCommands } from './command-store.js';

/**
 * The sweep that ends commands with no result after `timeoutMs` (config
 * `control.commandTimeoutMs`), as a job the central's scheduler runs every minute; the
 * scheduled instant is the clock.
 */
export function commandExpiryJob(db: Kysely<Schema>, timeoutMs: number) {
  return {
    name: 'control.expire-commands',
    cron: '* * * * *',
    run: (at: Date) => expireCommands(db, { now: at, timeoutMs }),
  };
}
