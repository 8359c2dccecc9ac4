/**
 * A link's counters become clean metrics (docs/OBSERVABILITY.md): each metric holds one whole,
 * split by an `outcome` label whose values add up to it. The old
 * `gridlink_edge_link_events_total{counter}` held `transactions` beside `timeouts` (a whole beside
 * its parts), so `sum()` over the label double-counted.
 */
import { describe, expect, it } from 'vitest';
import { splitLinkCounters } from '../src/health/metrics.js';

const sum = (pairs: [string, number][]) => pairs.reduce((s, [, n]) => s + n, 0);

describe('splitLinkCounters', () => {
  it('splits a Modbus link into transaction outcomes that add up to its transactions', () => {
    const counters = {
      transactions: 20,
      ok: 14,
      timeouts: 3,
      crc_errors: 1,
      exceptions: 1,
      bad_frames: 0,
      latency_ms_total: 900,
      queue_depth: 2,
      in_flight: 1,
    };
    const s = splitLinkCounters(counters);
    expect(Object.fromEntries(s.transactions)).toEqual({
      ok: 14,
      timeout: 3,
      crc_error: 1,
      exception: 1,
      bad_frame: 0,
      other: 1, // 20 - 14 - 3 - 1 - 1: an outcome the link does not name
    });
    expect(sum(s.transactions)).toBe(counters.transactions);
    expect(s.queueDepth).toBe(2);
    expect(s.messages).toEqual([]);
    expect(s.other).toEqual([]);
  });

  it('splits a KEBA listener: messages by outcome, requests by outcome (ok derived), broadcasts', () => {
    const counters = {
      datagrams: 10,
      accepted: 6,
      malformed: 1,
      unknown_senders: 1,
      too_large: 0,
      broadcasts: 2,
      unexpected: 1,
      requests: 8,
      timeouts: 2,
      refused: 1,
    };
    const s = splitLinkCounters(counters);
    expect(Object.fromEntries(s.transactions)).toEqual({ timeout: 2, refused: 1, ok: 5 });
    expect(sum(s.transactions)).toBe(8);
    expect(Object.fromEntries(s.messages)).toEqual({
      accepted: 6,
      malformed: 1,
      unknown_sender: 1,
      too_large: 0,
      unexpected: 1,
      other: 1,
    });
    expect(sum(s.messages)).toBe(10);
    expect(s.broadcasts).toBe(2);
    expect(s.other).toEqual([]);
  });

  it('splits a TCP JSON listener: lines by outcome, connections, closes by reason', () => {
    const counters = {
      connections: 4,
      lines: 12,
      accepted: 9,
      malformed: 1,
      unknown_senders: 0,
      too_large: 0,
      invalid_readings: 1,
      auth_failed: 1,
      meter_taken: 0,
      connection_limit: 1,
      idle_closed: 2,
    };
    const s = splitLinkCounters(counters);
    expect(sum(s.messages)).toBe(12);
    expect(s.connections).toBe(4);
    expect(Object.fromEntries(s.closed)).toEqual({ limit: 1, idle: 2 });
    expect(s.transactions).toEqual([]);
    expect(s.other).toEqual([]);
  });

  it('keeps a counter it does not know visible, never inside a whole', () => {
    const s = splitLinkCounters({ transactions: 3, ok: 3, resyncs: 2 });
    expect(s.other).toEqual([['resyncs', 2]]);
    expect(sum(s.transactions)).toBe(3);
  });
});
