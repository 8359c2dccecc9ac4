import { describe, expect, it } from 'vitest';
import { assertTopicFilter, filtersOverlap, matchesFilter } from './topic-filter.js';

describe('topic filters (MQTT 3.1.1 §4.7)', () => {
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
    expect(matchesFilter(filter, topic)).toBe(want);
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
        const witness = topics.some((t) => matchesFilter(a, t) && matchesFilter(b, t));
        expect(filtersOverlap(a, b), `${a} | ${b}`).toBe(witness);
        if (witness) overlapping++;
      }
    // Not vacuous: both answers occur many times.
    expect(overlapping).toBeGreaterThan(1000);
    expect(filters.length ** 2 - overlapping).toBeGreaterThan(1000);
  });
});
