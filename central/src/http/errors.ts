import { type ErrorCode, errorCatalog, GridlinkError, isGridlinkError } from '@gridlink/shared';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from 'pino';

/** The one error body: `{error:{code, message, details?}}`. */
export function errorBody(code: ErrorCode, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

export function httpError(code: ErrorCode, message: string, details?: unknown): GridlinkError {
  return new GridlinkError(code, message, details);
}

/**
 * Maps every thrown error to a status and body in one place. Internals never leak. Domain
 * services throw transport-neutral catalog codes (GL_NOT_FOUND, GL_CONFLICT, GL_VALIDATION, …);
 * the status is the catalog's, looked up here and nowhere else.
 */
export function onError(logger: Logger) {
  return (err: Error, c: Context) => {
    if (isGridlinkError(err)) {
      return c.json(
        errorBody(err.code, err.message, err.details),
        errorCatalog[err.code].status as ContentfulStatusCode,
      );
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code: ErrorCode =
        status === 413
          ? 'GL_PAYLOAD_TOO_LARGE'
          : status === 415
            ? 'GL_PAYLOAD_MEDIA_TYPE'
            : status === 401
              ? 'GL_UNAUTHORIZED'
              : status === 404
                ? 'GL_NOT_FOUND'
                : 'GL_VALIDATION';
      return c.json(
        errorBody(code, err.message || 'request rejected'),
        status as ContentfulStatusCode,
      );
    }
    logger.error({ code: 'GL_INTERNAL', err, path: c.req.path }, 'unhandled HTTP error');
    return c.json(errorBody('GL_INTERNAL', 'internal error'), 500);
  };
}
