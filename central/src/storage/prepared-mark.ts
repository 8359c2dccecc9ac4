/**
 * The mark of a statement to prepare (prepared.ts): its text starts with `/* prepared:NAME *\/`.
 * Kept apart from prepared.ts so that the PGlite thread reads it without loading pg or Kysely.
 */
export const PREPARED_MARK = '/* prepared:';

/** The statement's name when its text carries the mark, else undefined. */
export function preparedName(text: string): string | undefined {
  if (!text.startsWith(PREPARED_MARK)) return undefined;
  const end = text.indexOf(' */', PREPARED_MARK.length);
  return end > PREPARED_MARK.length ? text.slice(PREPARED_MARK.length, end) : undefined;
}
