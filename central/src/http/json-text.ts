/**
 * Checks on request text that must run before, or right after, JSON.parse. Pure functions: no
 * HTTP here (see json-body.ts for the middleware).
 */

/** JSON bodies may nest this deep (the body's own object or array is level 1). */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * True when `text` opens more than `limit` arrays/objects at once, found by one pass over the text
 * (no allocation, stops at the first bracket past the limit). Brackets inside strings do not
 * count: a string runs from a quote to the next quote not escaped by a backslash. The text need
 * not be valid JSON: whatever this lets through, JSON.parse still judges.
 */
export function nestsDeeperThan(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** With the `u` flag a surrogate pair is one code point, so this matches only a lone half. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Why a string cannot be stored as PostgreSQL text or jsonb, if it cannot. */
export function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'NUL (U+0000) is not allowed in text';
  if (LONE_SURROGATE.test(s)) return 'a lone UTF-16 surrogate is not text';
  return undefined;
}

/**
 * The path (`tariff.rates.0`) and reason of the first key or string in a parsed JSON value that
 * PostgreSQL cannot store, or undefined. Depth is bounded by the caller (nestsDeeperThan).
 */
export function findUnstorable(
  value: unknown,
  path: readonly (string | number)[] = [],
): { path: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const reason = unstorable(value);
    return reason ? { path: path.join('.') || '(body)', reason } : undefined;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findUnstorable(value[i], [...path, i]);
      if (hit) return hit;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const keyReason = unstorable(key);
      if (keyReason) return { path: [...path, '(key)'].join('.'), reason: keyReason };
      const hit = findUnstorable(item, [...path, key]);
      if (hit) return hit;
    }
  }
  return undefined;
}
