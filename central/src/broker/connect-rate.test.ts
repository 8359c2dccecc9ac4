import { describe, expect, it } from 'vitest';
import { addressBlock as addressKey } from '../auth/index.js';
import { ConnectRate } from './connect-rate.js';

describe('ConnectRate (token bucket per address, fake clock)', () => {
  it('allows a burst, then one per refill interval', () => {
    let now = 0;
    const rate = new ConnectRate({ burst: 2, perSecond: 4, clock: { now: () => now } });
    expect([rate.take('a'), rate.take('a'), rate.take('a')]).toEqual([true, true, false]);
    now += 249; // 0.996 of a token
    expect(rate.take('a')).toBe(false);
    now += 1; // one token (4 per second = one per 250 ms)
    expect(rate.take('a')).toBe(true);
    expect(rate.take('a')).toBe(false);
    now += 60_000; // refills to the burst, not beyond
    expect([rate.take('a'), rate.take('a'), rate.take('a')]).toEqual([true, true, false]);
  });

  it('keeps one bucket per address', () => {
    const rate = new ConnectRate({ burst: 1, perSecond: 1, clock: { now: () => 0 } });
    expect([rate.take('a'), rate.take('a'), rate.take('b')]).toEqual([true, false, true]);
  });

  it('a clock going backwards adds nothing', () => {
    let now = 10_000;
    const rate = new ConnectRate({ burst: 1, perSecond: 1, clock: { now: () => now } });
    expect(rate.take('a')).toBe(true);
    now = 0;
    expect(rate.take('a')).toBe(false);
  });

  it('remembers at most maxAddresses: refilled buckets go first, then the oldest', () => {
    let now = 0;
    const rate = new ConnectRate({
      burst: 2,
      perSecond: 1,
      clock: { now: () => now },
      maxAddresses: 3,
    });
    rate.take('a');
    rate.take('b');
    rate.take('c');
    expect(rate.size).toBe(3);
    now += 1000; // a, b, c are full again: all forgotten to make room
    rate.take('d');
    expect(rate.size).toBe(1);
    // A flood of fresh addresses, none refilled: the table stays at its cap.
    for (let i = 0; i < 100; i++) rate.take(`x${i}`);
    expect(rate.size).toBe(3);
  });
});

describe('addressKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:192.0.2.7', '192.0.2.7'],
    // IPv6 by /64: one host's many addresses share a bucket.
    ['2001:db8:1:2:aaaa::1', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});
