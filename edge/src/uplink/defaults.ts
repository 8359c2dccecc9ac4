import type { ReconnectBackoff } from './types.js';

/** The uplink's defaults, in one place. */
export const defaultReconnectBackoff: ReconnectBackoff = { initialMs: 1_000, maxMs: 60_000 };

/** Largest ack payload accepted: `{"epoch":"<64>","upTo":<16 digits>}` with room to spare. */
export const MAX_ACK_BYTES = 1_024;
