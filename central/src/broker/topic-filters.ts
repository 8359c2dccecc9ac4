/**
 * Topic names and filters, MQTT 3.1.1 §4.7. Pure.
 * - Levels are separated by `/`; `+` matches exactly one level and `#` any number of levels,
 *   including the parent (`a/#` matches `a`), each only as a whole level, `#` only last (§4.7.1).
 * - A filter starting with a wildcard does not match a topic starting with `$` (MQTT-4.7.2-1).
 */

/** A topic name a client may publish to: no wildcards, not empty (MQTT-3.3.2-2, MQTT-4.7.3-1). */
export function validTopicName(topic: string): boolean {
  return topic.length > 0 && !topic.includes('+') && !topic.includes('#');
}

/** A well-formed filter: wildcards only as whole levels, `#` only last (§4.7.1.2, §4.7.1.3). */
export function validFilter(filter: string): boolean {
  if (filter.length === 0) return false;
  const levels = filter.split('/');
  return levels.every((level, i) => {
    if (level === '#') return i === levels.length - 1;
    return level === '+' || (!level.includes('+') && !level.includes('#'));
  });
}

/** Whether `filter` matches the topic name `topic`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Whether every topic `requested` can match is matched by `allowed` (both well-formed filters):
 * the test a subscription must pass, so that `carros/+/status` is not granted to a car that may
 * read only its own. Level by level: `#` in `allowed` covers the rest; `+` covers one level that
 * is not `#`; a literal covers only itself. Sound (never grants a topic `allowed` does not
 * match); a filter covered only by the union of several allowed filters is refused.
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
 * The filter a shared subscription (`$share/{group}/{filter}`, Mosquitto's and MQTT 5's form)
 * delivers from; any other filter as it is.
 */
export function unshared(filter: string): string {
  const m = /^\$share\/[^/+#]+\/(.+)$/.exec(filter);
  return m ? (m[1] as string) : filter;
}
