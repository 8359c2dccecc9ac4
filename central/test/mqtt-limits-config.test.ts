import { describe, expect, it } from 'vitest';
import { parseCentralConfig } from '../src/config/index.js';

/** `mqtt.limits` is validated once at start-up, strictly (docs/SECURITY.md, MQTT limits). */
describe('mqtt.limits config', () => {
  it('defaults when absent, also when mqtt is absent', () => {
    const limits = {
      preAuthBytes: 65_536,
      sessionsPerEdge: 4,
      connectRate: { burst: 30, perSecond: 10, logIntervalMs: 60_000 },
    };
    expect(parseCentralConfig({}).mqtt).toEqual({
      mode: 'embedded',
      host: '127.0.0.1',
      port: 1883,
      portFallback: false,
      limits,
    });
    const config = parseCentralConfig({
      mqtt: { mode: 'embedded', limits: { connectRate: { burst: 5 } } },
    });
    expect(config.mqtt.mode === 'embedded' && config.mqtt.limits.connectRate).toEqual({
      ...limits.connectRate,
      burst: 5,
    });
  });

  it('a parsed config parses again to the same (the CLI validates, then startCentral does)', () => {
    const once = parseCentralConfig({
      mqtt: { mode: 'embedded', port: 0, limits: { sessionsPerEdge: 2 } },
    });
    expect(parseCentralConfig(JSON.parse(JSON.stringify(once))).mqtt).toEqual(once.mqtt);
  });

  it.each([
    [{ mode: 'embedded', limits: { sesionsPerEdge: 3 } }, /mqtt\.limits.*sesionsPerEdge/],
    [{ mode: 'embedded', limits: { preAuthBytes: 100 } }, /mqtt\.limits\.preAuthBytes/],
    [{ mode: 'embedded', limits: { sessionsPerEdge: 0 } }, /mqtt\.limits\.sessionsPerEdge/],
    [{ mode: 'embedded', limits: { connectRate: { perSecond: 0 } } }, /connectRate\.perSecond/],
    [{ mode: 'embedded', prot: 1883 }, /prot/],
    // The limits are the embedded broker's; Mosquitto's are in its own config.
    [
      { mode: 'external', url: 'mqtt://b:1883', username: 'u', password: 'p', limits: {} },
      /limits/,
    ],
  ])('refuses %o, naming the key', (mqtt, key) => {
    expect(() => parseCentralConfig({ mqtt })).toThrow(key);
    expect(() => parseCentralConfig({ mqtt })).toThrow(/GL_CONFIG_INVALID|central config/);
  });
});
