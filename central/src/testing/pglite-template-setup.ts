/**
 * vitest globalSetup (vitest.config.ts): builds the migrated PGlite template once, before any test
 * file starts, so that no test's first hook pays for initdb and every migration, and two workers
 * starting at once do not both build it. A failure here only warns: the first test that opens a
 * database builds it again, and fails there with its own message.
 */
import { migratedTemplate, templateFolder } from '../storage/index.js';

export async function setup(): Promise<void> {
  const folder = templateFolder();
  if (!folder) return;
  try {
    await migratedTemplate(folder);
  } catch (err) {
    console.warn(`could not prepare the PGlite template: ${(err as Error).message}`);
  }
}
