import { GridlinkError } from '@gridlink/shared';

/**
 * MQTT 3.1.1 §4.7 topic filters. Levels are separated by `/` (§4.7.1.1); `#` matches the
 * remaining levels, including none, and must be last and alone in its level (§4.7.1.2); `+`
 * matches exactly one level and must be alone in its level (§4.7.1.3); a filter starting with a
 * wildcard does not match topics starting with `$` (§4.7.2).
 */

/** Throws GL_TOPIC_INVALID when `filter` is not a valid topic filter (§4.7.1, §4.7.3). */
export function assertTopicFilter(filter: string): void {
  // [MQTT-4.7.3-1] at least one character; [MQTT-4.7.3-2] no U+0000.
  if (filter.length === 0 || filter.includes('\u0000'))
    throw new GridlinkError('GL_TOPIC_INVALID', 'a topic filter is at least one character, no NUL');
  const levels = filter.split('/');
  for (const [i, level] of levels.entries()) {
    // [MQTT-4.7.1-2] '#' alone in its level and the last one.
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1))
      throw new GridlinkError('GL_TOPIC_INVALID', `'#' must be a whole last level: ${filter}`);
    // [MQTT-4.7.1-3] '+' alone in its level.
    if (level.includes('+') && level !== '+')
      throw new GridlinkError('GL_TOPIC_INVALID', `'+' must be a whole level: ${filter}`);
  }
}

/** Whether a topic name (no wildcards) matches a valid filter (§4.7). */
export function matchesFilter(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1] a leading wildcard does not match a topic starting with '$'.
  if (topic.startsWith('$') && (filter[0] === '+' || filter[0] === '#')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    // §4.7.1.2: 'sport/#' matches 'sport' too (the parent level).
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Whether some topic matches both filters (the router refuses such a pair: a message then has
 * exactly one handler, and no broker delivers it twice through two subscriptions).
 */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  // A wildcard first level never meets a literal '$' first level (§4.7.2).
  const wild = (l: string | undefined) => l === '+' || l === '#';
  if ((wild(x[0]) && y[0]?.startsWith('$')) || (wild(y[0]) && x[0]?.startsWith('$'))) return false;
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === '#' || q === '#') {
      // '#' also matches the parent level, so 'a/#' meets 'a' (one shorter) as well.
      return true;
    }
    if (p === undefined || q === undefined) {
      // One ended: they meet only if the other's rest is exactly '#'.
      const rest = p === undefined ? y.slice(i) : x.slice(i);
      return rest.length === 0 || (rest.length === 1 && rest[0] === '#');
    }
    if (p !== '+' && q !== '+' && p !== q) return false;
  }
}
