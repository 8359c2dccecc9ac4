import type { z } from 'zod';

/**
 * Freezes a parsed config and everything under it (objects and arrays), so no part of the
 * process can change a setting another part already read. Returns the same value.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const key of Reflect.ownKeys(value))
    deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return Object.freeze(value);
}

type Def = Record<string, unknown> & { type: string };
const defOf = (s: unknown): Def | undefined =>
  typeof s === 'object' && s !== null && '_zod' in s
    ? ((s as { _zod: { def: Def } })._zod.def as Def)
    : undefined;

/**
 * The key paths of every object schema under `schema` that is not strict (whose unknown keys
 * would be dropped or passed through instead of refused). `[]` when the config is strict at
 * every level. Walks wrappers (optional, default, prefault, pipe, …), unions, arrays, records.
 */
export function looseObjectPaths(schema: z.ZodType): string[] {
  const loose: string[] = [];
  /** The schemas on the current path: a schema reused at several paths is walked at each. */
  const walking = new Set<unknown>();
  const walk = (s: unknown, path: string): void => {
    const def = defOf(s);
    if (!def || walking.has(s)) return;
    walking.add(s);
    if (def.type === 'object') {
      if (defOf(def.catchall)?.type !== 'never') loose.push(path || '(root)');
      for (const [key, child] of Object.entries(def.shape as Record<string, unknown>))
        walk(child, path ? `${path}.${key}` : key);
    } else {
      for (const [key, child] of Object.entries(def)) {
        if (key === 'catchall' || key === 'checks') continue;
        if (Array.isArray(child)) {
          for (const [i, c] of child.entries())
            walk(c, def.type === 'union' ? `${path}|${i}` : path);
        } else walk(child, def.type === 'array' ? `${path}[]` : path);
      }
    }
    walking.delete(s);
  };
  walk(schema, '');
  return loose;
}
