import { type NewReading, parseEdgeConfig } from '@gridlink/edge';
import type { Reading } from '@gridlink/shared';

/** The uplink's shipped defaults, read from the config schema so the bench cannot drift from them. */
export const SHIPPED_UPLINK = parseEdgeConfig({
  edgeId: 'defaults',
  mqtt: { url: 'mqtt://127.0.0.1', password: 'x' },
}).uplink;

/**
 * The readings every part of the forward benchmark uses: the same shape, values and size. A new
 * reading is built as the poller builds one (read-device.ts: one object literal, no seq); the
 * log assigns the seq.
 */
export function benchNewReading(seq: number, devices = 20): NewReading {
  return {
    deviceId: `meter-${(seq % devices) + 1}`,
    ts: 1_767_225_600_000 + seq,
    quality: 'good',
    values: {
      voltage_l1: 220.1 + (seq % 7) / 10,
      voltage_l2: 219.8,
      voltage_l3: 221.3,
      current_l1: 5.2,
      power_total: 3400.5 + (seq % 50),
      frequency: 60.01,
      energy_import: seq * 0.01,
    },
  };
}

/** The same reading with its seq, as the central receives it. */
export function benchReading(seq: number, devices = 20): Reading {
  const r = benchNewReading(seq, devices);
  return { seq, deviceId: r.deviceId, ts: r.ts, quality: r.quality, values: r.values };
}

/** The edge side of the forward benchmark, as a child process (so its RSS is its own). */
export interface ForwardEdgeJob {
  /**
   * sustained: appends paced at `offeredPerS` while forwarding; burst: appends as fast as the
   * log takes them while forwarding; backlog: everything appended offline, then forwarded.
   */
  mode: 'sustained' | 'burst' | 'backlog';
  /** sustained only: readings/s offered to the log. */
  offeredPerS?: number;
  dir: string;
  edgeId: string;
  mqttUrl: string;
  secret: string;
  count: number;
  /** Readings per append (one group commit). */
  perAppend: number;
  /** Uplink batch size and window (default: the edge's shipped defaults). */
  maxReadings?: number;
  window?: number;
}

export type ForwardEdgeMessage =
  | { type: 'built'; lastSeq: number; rssMB: number }
  | {
      type: 'done';
      ms: number;
      /** When reading `count` was committed to the log (ms from the start): the rest is the forwarding lag. */
      appendedMs: number;
      /** The edge process's CPU time (all threads) from connect to `ms`. */
      cpuMs: number;
      lastSeq: number;
      rssPeakMB: number;
      rssMeanMB: number;
      /**
       * Readings acknowledged from the first ack past a fifth of `count` to the ack of `count`,
       * and the time between: the steady-state ack rate, fill and drain-out left out.
       */
      steady?: { readings: number; ms: number };
    };
