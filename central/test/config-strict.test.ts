import { describe, expect, it } from 'vitest';
import { parseCentralConfig } from '../src/config/index.js';
import { gapWaitMsOf } from '../src/ingest/index.js';

/** The central's config is strict at every level: a typo names its key instead of vanishing. */
describe('central config strictness', () => {
  it.each([
    [{ typo: 1 }, /typo/],
    [{ http: { prot: 8080 } }, /http.*prot/],
    [{ http: { loginThrottle: { acount: {} } } }, /loginThrottle.*acount/],
    [{ ingest: { maxPayloadByte: 10 } }, /ingest.*maxPayloadByte/],
    [{ ingest: { readingWindow: { maxFutureSkew: 10 } } }, /readingWindow.*maxFutureSkew/],
    [{ log: { levle: 'debug' } }, /log.*levle/],
    [{ billing: { dueDay: 5 } }, /billing.*dueDay/],
    [{ control: { commandTimeout: 5000 } }, /control.*commandTimeout/],
  ])('refuses %o, naming the key', (config, key) => {
    expect(() => parseCentralConfig(config)).toThrow(key);
    expect(() => parseCentralConfig(config)).toThrow(/GL_CONFIG_INVALID|central config/);
  });

  it.each([
    [{ ingest: { gapWaitMs: -1 } }, /ingest\.gapWaitMs/],
    [{ ingest: { gapWaitMs: 10_001 } }, /ingest\.gapWaitMs/],
    [{ ingest: { gapWaitMs: 2.5 } }, /ingest\.gapWaitMs/],
    [{ ingest: { gapWaitMs: '1000' } }, /ingest\.gapWaitMs/],
    [{ retention: { carHistoryDays: -1 } }, /retention\.carHistoryDays/],
    [{ retention: { carHistoryDays: 36_501 } }, /retention\.carHistoryDays/],
  ])('refuses the impossible value %o, naming the key', (config, key) => {
    expect(() => parseCentralConfig(config)).toThrow(key);
  });

  it('ingest waits for a predecessor 1000 ms with a share group, 0 without, or as configured', () => {
    const external = {
      mode: 'external' as const,
      url: 'mqtt://127.0.0.1:1883',
      username: 'gridlink-central-1',
      password: 'secret',
    };
    expect(gapWaitMsOf(parseCentralConfig({}))).toBe(0);
    expect(gapWaitMsOf(parseCentralConfig({ mqtt: external }))).toBe(0);
    expect(gapWaitMsOf(parseCentralConfig({ mqtt: { ...external, shareGroup: 'g' } }))).toBe(1000);
    expect(
      gapWaitMsOf(
        parseCentralConfig({ mqtt: { ...external, shareGroup: 'g' }, ingest: { gapWaitMs: 0 } }),
      ),
    ).toBe(0);
    expect(gapWaitMsOf(parseCentralConfig({ ingest: { gapWaitMs: 250 } }))).toBe(250);
  });
});
