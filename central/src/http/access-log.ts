import { performance } from 'node:perf_hooks';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { Histogram } from 'prom-client';

export interface AccessLogOptions {
  logger: Logger;
  /** `gridlink_http_request_duration_seconds{method,route,status_class}`. */
  requestSeconds: Histogram<'method' | 'route' | 'status_class'>;
}

/** Routes a scraper or a load balancer calls every few seconds: logged at debug, not info. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** The route template that answered (`/api/v1/meters/:id/readings`), or `unmatched` (a 404). */
export function routeTemplate(c: Context): string {
  const handlers = matchedRoutes(c).filter((r) => r.method !== 'ALL');
  return handlers.at(-1)?.path ?? 'unmatched';
}

/**
 * The HTTP access log and request-duration histogram, one middleware at the top of the app: one
 * JSON line per request with the method, the route template (never the raw path: it carries ids
 * and anything a client typed), status, duration and the principal's token id and role (never
 * the token). Durations are monotonic (performance.now), not the app's clock.
 */
export function accessLog(options: AccessLogOptions): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - start) / 1000;
      const status = c.res.status;
      const route = routeTemplate(c);
      const method = c.req.method;
      options.requestSeconds.observe(
        { method, route, status_class: `${Math.floor(status / 100)}xx` },
        seconds,
      );
      const principal = c.get('principal') as { tokenId: string; role: string } | undefined;
      options.logger[PROBES.has(route) ? 'debug' : 'info'](
        {
          method,
          route,
          status,
          ms: Math.round(seconds * 1e4) / 10,
          ...(principal ? { tokenId: principal.tokenId, role: principal.role } : {}),
        },
        'http request',
      );
    }
  };
}
