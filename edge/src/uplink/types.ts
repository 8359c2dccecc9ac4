import type { PayloadCompression, Timers as SharedTimers } from '@gridlink/shared';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { ReadingLog } from '../log/index.js';

/** The part of the shared timer port the uplink uses: resend and flush timing. */
export type Timers = Pick<SharedTimers, 'setTimeout' | 'clearTimeout'>;

export interface BatchLimits {
  /** Readings per batch, at most MAX_BATCH_READINGS. */
  maxReadings: number;
  /** Bytes of one batch payload (JSON), envelope included. One oversized reading still goes alone. */
  maxBytes: number;
  /** A partial batch waits at most this long (once the window has room) before it is sent. */
  maxDelayMs: number;
}

/** Exponential reconnect backoff with equal jitter, applied through mqtt.js `reconnectPeriod`. */
export interface ReconnectBackoff {
  initialMs: number;
  maxMs: number;
  /** [0, 1); defaults to Math.random. */
  random?: () => number;
}

export interface UplinkOptions {
  edgeId: string;
  log: ReadingLog;
  /** Created and owned by the caller; may be connected, connecting or reconnecting. */
  mqtt: MqttClient;
  logger: Logger;
  batch: BatchLimits;
  /** Batches in flight (sent, not yet acknowledged). */
  window: number;
  /** Go back to the last acknowledged seq when acks stop advancing for this long. */
  resendAfterMs: number;
  /**
   * 'gzip': each batch is sent gzip-compressed when that is smaller (docs/WIRE.md); for metered
   * or slow links. Costs edge CPU; 'none' (the default) sends JSON.
   */
  compression?: PayloadCompression;
  /** Backoff for mqtt.js's own reconnects; false leaves `reconnectPeriod` alone. */
  reconnect?: ReconnectBackoff | false;
  /**
   * Reconnect on `timers` (the edge's clock) instead of mqtt.js's own: for a client created with
   * `reconnectPeriod: 0` (mqtt.js then never reconnects by itself), the uplink calls
   * `client.reconnect()` after each backoff delay, and after a refusing CONNACK too.
   */
  reconnectOnTimers?: boolean;
  timers?: Timers;
}

export interface UplinkStats {
  /** Batches sent and not yet acknowledged. */
  inFlight: number;
  /** Highest seq the central acknowledged (in this epoch). */
  lastAcked: number;
  /** Next seq to send. */
  nextSeq: number;
  sentBatches: number;
  /** Batches sent again (their seqs had been sent before). */
  resends: number;
  /** Times the uplink went back to lastAcked + 1 (timeout, gap reply or reconnect). */
  goBacks: number;
  /** Connected and subscribed to its acks. */
  ready: boolean;
}

export type GoBackReason = 'timeout' | 'gap' | 'reconnect';

export interface UplinkEvents {
  sent: [
    {
      firstSeq: number;
      lastSeq: number;
      resend: boolean;
      /** Bytes published (compressed when `compressed`). */
      bytes: number;
      compressed: boolean;
    },
  ];
  /** After the log deleted up to `upTo` (progress) or after an ack that moved nothing. */
  ack: [{ upTo: number; progress: boolean }];
  goBack: [{ from: number; reason: GoBackReason }];
  /** Ready (connected and subscribed to acks) or no longer ready (the connection closed). */
  connection: [{ ready: boolean }];
}
