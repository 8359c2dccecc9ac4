import { GridlinkError } from '../errors/index.js';

/**
 * Topic names and topic filters, MQTT 3.1.1 §4.7. Pure.
 * - Levels are separated by `/` (§4.7.1.1); an empty level is a level (§4.7.3).
 * - `#` matches the remaining levels, including none (`a/#` matches `a`), and must be last and
 *   alone in its level (§4.7.1.2); `+` matches exactly one level and must be alone in its level
 *   (§4.7.1.3).
 * - A filter starting with a wildcard does not match a topic starting with `$` (MQTT-4.7.2-1).
 *
 * Used by the broker's policy (may a principal publish / subscribe) and by the central's topic
 * router (which handler takes a message; no two handlers' filters may overlap).
 */

/** Why `filter` is not a valid topic filter (§4.7.1, §4.7.3), or undefined when it is. */
function filterProblem(filter: string): string | undefined {
  // [MQTT-4.7.3-1] at least one character; [MQTT-4.7.3-2] no U+0000.
  if (filter.length === 0 || filter.includes('\u0000'))
    return 'a topic filter is at least one character, no NUL';
  const levels = filter.split('/');
  for (const [i, level] of levels.entries()) {
    // [MQTT-4.7.1-2] '#' alone in its level and the last one.
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1))
      return `'#' must be a whole last level: ${filter}`;
    // [MQTT-4.7.1-3] '+' alone in its level.
    if (level.includes('+') && level !== '+') return `'+' must be a whole level: ${filter}`;
  }
  return undefined;
}

/** A well-formed topic filter: not empty, no NUL, wildcards only as whole levels, `#` only last. */
export function validTopicFilter(filter: string): boolean {
  return filterProblem(filter) === undefined;
}

/** Throws GL_TOPIC_INVALID, naming the reason, when `filter` is not a valid topic filter. */
export function assertTopicFilter(filter: string): void {
  const problem = filterProblem(filter);
  if (problem !== undefined) throw new GridlinkError('GL_TOPIC_INVALID', problem);
}

/**
 * A topic name a client may publish to: not empty, no NUL (MQTT-4.7.3-1, MQTT-4.7.3-2), no
 * wildcards (MQTT-3.3.2-2).
 */
export function validTopicName(topic: string): boolean {
  return (
    topic.length > 0 && !topic.includes('\u0000') && !topic.includes('+') && !topic.includes('#')
  );
}

/** Whether the topic name `topic` (no wildcards) matches the valid filter `filter` (§4.7). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  // [MQTT-4.7.2-1] a leading wildcard does not match a topic starting with '$'.
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    // §4.7.1.2: 'sport/#' matches 'sport' too (the parent level).
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Whether every topic `requested` can match is matched by `allowed` (both valid filters): the
 * test a subscription must pass, so that `carros/+/status` is not granted to a car that may read
 * only its own. Level by level: `#` in `allowed` covers the rest; `+` covers one level that is
 * not `#`; a literal covers only itself. Sound (never grants a topic `allowed` does not match); a
 * filter covered only by the union of several allowed filters is refused.
 */
export function filterCovers(allowed: string, requested: string): boolean {
  const a = allowed.split('/');
  const r = requested.split('/');
  // A literal `$…` first level is matched only by a literal first level (MQTT-4.7.2-1).
  if (r[0]?.startsWith('$') && (a[0] === '+' || a[0] === '#')) return false;
  for (let i = 0; i < r.length; i++) {
    if (a[i] === '#') return true;
    if (i >= a.length) return false;
    if (r[i] === '#') return false;
    if (a[i] === '+') continue;
    if (r[i] === '+' || a[i] !== r[i]) return false;
  }
  // `requested` ends here; `a/#` also matches its parent `a`.
  return a.length === r.length || (a.length === r.length + 1 && a[r.length] === '#');
}

/**
 * Whether some topic matches both valid filters (the topic router refuses such a pair: a message
 * then has exactly one handler, and no broker delivers it twice through two subscriptions).
 */
export function filtersOverlap(a: string, b: string): boolean {
  const x = a.split('/');
  const y = b.split('/');
  // A wildcard first level never meets a literal '$' first level (MQTT-4.7.2-1).
  const wild = (l: string | undefined) => l === '+' || l === '#';
  if ((wild(x[0]) && y[0]?.startsWith('$')) || (wild(y[0]) && x[0]?.startsWith('$'))) return false;
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    // '#' also matches the parent level, so 'a/#' meets 'a' (one shorter) as well.
    if (p === '#' || q === '#') return true;
    if (p === undefined || q === undefined) {
      // One ended: they meet only if the other's rest is exactly '#'.
      const rest = p === undefined ? y.slice(i) : x.slice(i);
      return rest.length === 0 || (rest.length === 1 && rest[0] === '#');
    }
    if (p !== '+' && q !== '+' && p !== q) return false;
  }
}

/**
 * The filter a shared subscription (`$share/{group}/{filter}`, Mosquitto's and MQTT 5's form)
 * delivers from; any other filter as it is.
 */
export function unsharedFilter(filter: string): string {
  const m = /^\$share\/[^/+#]+\/(.+)$/.exec(filter);
  return m ? (m[1] as string) : filter;
}
