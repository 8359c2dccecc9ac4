import { z } from 'zod';

/**
 * The `ev` section of the central's config (docs/CONFIG.md, docs/EV.md): one strict sub-object
 * per EV module, each defined beside its module and added here.
 */
export const evConfigSchema = z.object({}).strict().prefault({});

export type EvConfig = z.output<typeof evConfigSchema>;
