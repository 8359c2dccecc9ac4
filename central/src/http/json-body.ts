import type { MiddlewareHandler } from 'hono';
import { httpError } from './errors.js';
import { findUnstorable, MAX_JSON_DEPTH, nestsDeeperThan, unstorable } from './json-text.js';

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE']);

/**
 * Reads a JSON request body once, after the body limit and authentication: refuses nesting past
 * MAX_JSON_DEPTH before JSON.parse builds anything (GL_PAYLOAD_TOO_DEEP), text that is not JSON
 * (GL_PAYLOAD_INVALID_JSON), and strings PostgreSQL cannot store (NUL, lone surrogates:
 * GL_VALIDATION naming the key). The parsed value is left for the route's validator.
 */
export function jsonBody(): MiddlewareHandler {
  return async (c, next) => {
    const type = c.req.header('content-type') ?? '';
    if (BODYLESS.has(c.req.method) || !/json/i.test(type)) return next();
    const text = await c.req.text();
    if (nestsDeeperThan(text, MAX_JSON_DEPTH))
      throw httpError('GL_PAYLOAD_TOO_DEEP', `body: nests deeper than ${MAX_JSON_DEPTH} levels`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // The parser's message quotes the text: not echoed.
      throw httpError('GL_PAYLOAD_INVALID_JSON', 'body: not valid JSON');
    }
    const bad = findUnstorable(value);
    if (bad)
      throw httpError('GL_VALIDATION', `${bad.path}: ${bad.reason}`, [
        { path: bad.path, message: bad.reason },
      ]);
    // The validator reads `c.req.json()`, which answers from this cache instead of parsing again.
    c.req.bodyCache.json = Promise.resolve(value);
    await next();
  };
}

/** Refuses a path or query parameter that PostgreSQL cannot store (`%00`), naming it. */
export function storableUrl(): MiddlewareHandler {
  return async (c, next) => {
    const url = new URL(c.req.url);
    for (const [key, value] of url.searchParams) {
      const reason = unstorable(key) ?? unstorable(value);
      if (!reason) continue;
      const name = unstorable(key) ? '(query key)' : key;
      throw httpError('GL_VALIDATION', `${name}: ${reason}`, [{ path: name, message: reason }]);
    }
    const path = decodeURIComponentSafe(url.pathname);
    if (path === undefined || unstorable(path))
      throw httpError('GL_VALIDATION', 'path: not storable text');
    await next();
  };
}

function decodeURIComponentSafe(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
