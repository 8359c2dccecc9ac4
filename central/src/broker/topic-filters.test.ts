import { seededRandom } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { filterCovers, topicMatches, unshared, validFilter } from './topic-filters.js';

describe('topicMatches (MQTT 3.1.1 §4.7)', () => {
  it.each([
    // [filter, topic, matches]
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['a/+', 'a/b', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a', false],
    ['a/+', 'a/', true], // an empty level is a level (§4.7.3)
    ['a/#', 'a', true], // '#' includes the parent level (§4.7.1.2)
    ['a/#', 'a/b/c', true],
    ['#', 'a/b', true],
    ['+/+', '/a', true],
    ['#', '$SYS/broker', false], // MQTT-4.7.2-1
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker', true],
  ])('%s ~ %s → %s', (filter, topic, matches) => {
    expect(topicMatches(filter, topic)).toBe(matches);
  });
});

describe('filterCovers: every topic of the requested filter is matched by the allowed one', () => {
  it.each([
    // [allowed, requested, covered]
    ['carros/ABC1D23/status', 'carros/ABC1D23/status', true],
    ['carros/ABC1D23/status', 'carros/+/status', false], // reaches other cars
    ['carros/ABC1D23/status', 'carros/ABC1D23/#', false],
    ['pontos/+/disponibilidade', 'pontos/7/disponibilidade', true],
    ['pontos/+/disponibilidade', 'pontos/+/disponibilidade', true],
    ['pontos/+/disponibilidade', 'pontos/#', false],
    ['pontos/+/disponibilidade', '+/+/disponibilidade', false],
    ['client/st-1/#', 'client/st-1/postos/response', true],
    ['client/st-1/#', 'client/st-1/#', true],
    ['client/st-1/#', 'client/st-1', true], // a/# matches its parent
    ['client/st-1/#', 'client/st-1/+/response', true],
    ['client/st-1/#', 'client/+/postos/response', false], // wildcard in the middle
    ['client/st-1/#', 'client/#', false],
    ['client/st-1/#', 'client', false],
    ['gl/v1/#', 'gl/v1/edges/+/telemetry', true],
    ['gl/v1/#', '#', false],
    ['#', '$SYS/#', false], // MQTT-4.7.2-1: '#' never reaches $SYS
    ['#', '#', true],
    ['a/+', 'a/+/b', false],
    ['a/+/b', 'a/+', false],
  ])('%s ⊇ %s → %s', (allowed, requested, covered) => {
    expect(filterCovers(allowed, requested)).toBe(covered);
  });

  it('agrees with matching on 5,000 random filter pairs over a small alphabet', () => {
    // Differential check: when `allowed` covers `requested`, every topic the requested filter
    // matches (enumerated over the levels x, y and '$s', depth ≤ 4) is matched by `allowed`; when
    // it does not, one such topic is found (the alphabet has more values than the filters name).
    const random = seededRandom(15);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
    const filter = () => {
      const n = 1 + Math.floor(random() * 3);
      const levels = Array.from({ length: n }, () => pick(['x', 'y', '+', '$s']));
      if (random() < 0.3) levels.push('#');
      return levels.join('/');
    };
    const values = ['x', 'y', 'z', '$s'];
    const topics: string[] = [];
    const grow = (prefix: string[]) => {
      if (prefix.length > 0) topics.push(prefix.join('/'));
      if (prefix.length < 4) for (const v of values) grow([...prefix, v]);
    };
    grow([]);
    const seen = new Set<boolean>();
    for (let n = 0; n < 5000; n++) {
      const allowed = filter();
      const requested = filter();
      const covered = filterCovers(allowed, requested);
      const escapes = topics.some((t) => topicMatches(requested, t) && !topicMatches(allowed, t));
      expect(covered, `${allowed} ⊇ ${requested}`).toBe(!escapes);
      seen.add(covered);
    }
    expect([...seen].sort()).toEqual([false, true]);
  });
});

describe('validFilter and unshared', () => {
  it.each([
    ['a/#', true],
    ['a/#/b', false],
    ['a/b#', false],
    ['a/+b', false],
    ['+', true],
    ['', false],
  ])('%s → %s', (filter, valid) => {
    expect(validFilter(filter)).toBe(valid);
  });
  it('strips $share/{group}/ only', () => {
    expect(unshared('$share/gridlink/gl/v1/edges/+/telemetry')).toBe('gl/v1/edges/+/telemetry');
    expect(unshared('$share/+/x')).toBe('$share/+/x');
    expect(unshared('gl/v1/#')).toBe('gl/v1/#');
  });
});
