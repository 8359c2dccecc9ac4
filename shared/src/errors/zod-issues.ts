import type { z } from 'zod';

/** `devices.0.port: expected number, received string; ...` — the path of each bad key and why. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}
