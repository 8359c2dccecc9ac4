import { formatZodIssues } from '@gridlink/shared';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './auth.js';
import { httpError } from './errors.js';

/** A sub-app whose request validation failures become GL_VALIDATION errors. */
export function openApiApp() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw httpError(
          'GL_VALIDATION',
          formatZodIssues(result.error),
          result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        );
      }
    },
  });
}
