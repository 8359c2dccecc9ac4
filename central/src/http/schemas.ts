import { z } from '@hono/zod-openapi';
import { idCursor } from './cursors.js';

/** Every /api/v1 route takes a bearer token. */
export const security = [{ bearer: [] }];

/** A JSON response entry of a route. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'GL_NOT_FOUND' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

export const errorResponses = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
  401: {
    description: 'Missing or invalid token',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  403: {
    description: 'Role not allowed',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  404: {
    description: 'Not found (or not yours)',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

/** `?limit=&cursor=` of a list keyed by serial id; `cursor` is parsed to the last id seen. */
export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .openapi({ description: 'Items per page (1-500)' }),
  cursor: idCursor(),
});

export { IdParam } from './ids.js';
