import { describe, expect, it } from 'vitest';
import { allEdgesFilter, edgeTopic, idSchema, parseEdgeTopic } from './index.js';

describe('topics', () => {
  it('builds and parses edge topics', () => {
    expect(edgeTopic('edge-1', 'telemetry')).toBe('gl/v1/edges/edge-1/telemetry');
    expect(parseEdgeTopic('gl/v1/edges/edge-1/commands/result')).toEqual({
      edgeId: 'edge-1',
      leaf: 'commands/result',
    });
    expect(allEdgesFilter('ack')).toBe('gl/v1/edges/+/ack');
  });

  it('rejects topics outside the tree', () => {
    for (const t of [
      'gl/v1/edges/edge-1',
      'gl/v1/edges//telemetry',
      'gl/v1/edges/a/b/telemetry',
      'gl/v1/edges/+/telemetry',
      'x/gl/v1/edges/a/ack',
      'gl/v1/edges/a/nope',
    ]) {
      expect(parseEdgeTopic(t), t).toBeUndefined();
    }
  });

  it('ids cannot carry MQTT wildcards or separators (MQTT-4.7.1)', () => {
    for (const bad of ['a/b', 'a+', '#', '', '.hidden', 'x'.repeat(65), 'a b']) {
      expect(idSchema.safeParse(bad).success, bad).toBe(false);
    }
    expect(idSchema.safeParse('meter_01.a-b').success).toBe(true);
  });
});
