import { describe, expect, it } from 'vitest';
import { parseCentralConfig } from '../src/config/index.js';

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
});
