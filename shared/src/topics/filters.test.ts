import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/index.js';
import {
  assertTopicFilter,
  filterCovers,
  filtersOverlap,
  topicMatches,
  unsharedFilter,
  validTopicFilter,
  validTopicName,
} from './filters.js';

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

describe('validTopicFilter and unsharedFilter', () => {
  it.each([
    ['a/#', true],
    ['a/#/b', false],
    ['a/b#', false],
    ['a/+b', false],
    ['+', true],
    ['', false],
    ['a/\u0000', false], // MQTT-4.7.3-2
  ])('%j → %s', (filter, valid) => {
    expect(validTopicFilter(filter)).toBe(valid);
    // The boolean and the throwing check are one rule.
    if (valid) expect(() => assertTopicFilter(filter)).not.toThrow();
    else
      expect(() => assertTopicFilter(filter)).toThrow(
        expect.objectContaining({ code: 'GL_TOPIC_INVALID' }),
      );
  });
  it.each([
    ['a/b', true],
    ['/', true],
    ['$SYS/x', true],
    ['', false], // MQTT-4.7.3-1
    ['a/\u0000', false], // MQTT-4.7.3-2
    ['a/+', false], // MQTT-3.3.2-2
    ['a/#', false],
    ['a+b', false],
  ])('topic name %j → %s', (topic, valid) => {
    expect(validTopicName(topic)).toBe(valid);
  });
  it('strips $share/{group}/ only', () => {
    expect(unsharedFilter('$share/gridlink/gl/v1/edges/+/telemetry')).toBe(
      'gl/v1/edges/+/telemetry',
    );
    expect(unsharedFilter('$share/+/x')).toBe('$share/+/x');
    expect(unsharedFilter('gl/v1/#')).toBe('gl/v1/#');
  });
});

describe('topic filters: spec examples, validity, overlap (MQTT 3.1.1 §4.7)', () => {
  it.each([
    // §4.7.1.2 examples
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'sport/tennis', true],
    // §4.7.1.3 examples
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player2', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    // §4.7.2: wildcards at the first level do not match '$' topics
    ['#', '$SYS/broker/clients', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    // the central's own filters
    ['gl/v1/edges/+/telemetry', 'gl/v1/edges/e-1/telemetry', true],
    ['gl/v1/edges/+/telemetry', 'gl/v1/edges/e-1/status', false],
    ['gl/v1/edges/+/commands/result', 'gl/v1/edges/e-1/commands/result', true],
    ['gl/v1/edges/+/commands/result', 'gl/v1/edges/e-1/commands', false],
    ['gl/v1/edges/+/telemetry', 'gl/v1/edges/e-1/x/telemetry', false],
    // levels are case-sensitive and compared whole
    ['Sport', 'sport', false],
    ['sport', 'sport ', false],
  ])('%s against %s: %s', (filter, topic, want) => {
    expect(topicMatches(filter, topic)).toBe(want);
  });

  it.each([
    ['', 'at least one character'],
    ['a/\u0000', 'no NUL'],
    ['sport/tennis#', "'#' must be a whole last level"],
    ['sport/tennis/#/ranking', "'#' must be a whole last level"],
    ['sport+', "'+' must be a whole level"],
    ['a/+b/c', "'+' must be a whole level"],
  ])('refuses the filter %j (%s) with GL_TOPIC_INVALID', (filter, message) => {
    expect(() => assertTopicFilter(filter)).toThrow(
      expect.objectContaining({
        code: 'GL_TOPIC_INVALID',
        message: expect.stringContaining(message),
      }),
    );
  });

  it.each(['#', '+', '+/+', '/', 'a//b', '$SYS/#', 'gl/v1/edges/+/status'])(
    'accepts the filter %j',
    (filter) => expect(() => assertTopicFilter(filter)).not.toThrow(),
  );

  it.each([
    ['gl/v1/edges/+/telemetry', 'gl/v1/edges/+/status', false],
    ['gl/v1/edges/+/commands', 'gl/v1/edges/+/commands/result', false],
    ['gl/v1/edges/+/telemetry', 'gl/v1/#', true],
    ['gl/v1/edges/e-1/telemetry', 'gl/v1/edges/+/telemetry', true],
    ['a/#', 'a', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
  ])('%s and %s overlap: %s', (a, b, want) => {
    expect(filtersOverlap(a, b)).toBe(want);
    expect(filtersOverlap(b, a)).toBe(want);
  });

  it('finds an overlap exactly when some topic matches both filters (exhaustive, small alphabet)', () => {
    // Every filter of up to 3 levels over {a, $s, '', +, # (last)}, every topic of up to 4 levels
    // over {a, $s, '', c}: with 3-level filters, a witness topic needs at most 4 levels and the
    // literals a filter names, or 'c' for a '+'.
    const literals = ['a', '$s', ''];
    const words = (alphabet: string[], max: number): string[][] => {
      let level = alphabet.map((x) => [x]);
      const all = [...level];
      for (let n = 2; n <= max; n++) {
        level = level.flatMap((w) => alphabet.map((x) => [...w, x]));
        all.push(...level);
      }
      return all;
    };
    const filters = words([...literals, '+', '#'], 3)
      .filter((w) => !w.slice(0, -1).includes('#'))
      .map((w) => w.join('/'));
    const topics = words([...literals, 'c'], 4).map((w) => w.join('/'));
    let overlapping = 0;
    for (const a of filters)
      for (const b of filters) {
        const witness = topics.some((t) => topicMatches(a, t) && topicMatches(b, t));
        expect(filtersOverlap(a, b), `${a} | ${b}`).toBe(witness);
        if (witness) overlapping++;
      }
    // Not vacuous: both answers occur many times.
    expect(overlapping).toBeGreaterThan(1000);
    expect(filters.length ** 2 - overlapping).toBeGreaterThan(1000);
  });
});
