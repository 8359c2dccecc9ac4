import { z } from '@hono/zod-openapi';

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
      code: z.string().openapi({ example: 'GL_HTTP_NOT_FOUND' }),
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

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .openapi({ description: 'Items per page (1-500)' }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'The `next` value of the previous page' }),
});

export const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
});
