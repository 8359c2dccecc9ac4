import { GridlinkError } from '@gridlink/shared';
import { z } from 'zod';

export const connectorStandards = [
  'type1',
  'type2',
  'ccs1',
  'ccs2',
  'chademo',
  'gbt_ac',
  'gbt_dc',
] as const;
export type ConnectorStandard = (typeof connectorStandards)[number];
export type PowerType = 'ac' | 'dc';

/** The current each standard carries: a CCS2 connector on an AC point is a data error. */
export const POWER_TYPE_OF: Record<ConnectorStandard, PowerType> = {
  type1: 'ac',
  type2: 'ac',
  gbt_ac: 'ac',
  ccs1: 'dc',
  ccs2: 'dc',
  chademo: 'dc',
  gbt_dc: 'dc',
};

/** Largest connector power accepted: 1 MW (megawatt charging is the ceiling in the field). */
export const MAX_CONNECTOR_POWER_W = 1_000_000;

export interface ConnectorSpec {
  standard: ConnectorStandard;
  powerType: PowerType;
  maxPowerW: number;
}

/**
 * The connector an imported point gets when the import names none (docs/EV.md, "Network"):
 * Type 2 AC at 22 kW, the common Brazilian public AC wallbox (three-phase 32 A). The seed files
 * carry no connector data.
 */
export const DEFAULT_CONNECTOR: ConnectorSpec = Object.freeze({
  standard: 'type2',
  powerType: 'ac',
  maxPowerW: 22_000,
});

export const connectorSpecSchema = z
  .object({
    standard: z.enum(connectorStandards),
    powerType: z.enum(['ac', 'dc']).optional(),
    maxPowerW: z.number().int().min(1).max(MAX_CONNECTOR_POWER_W),
  })
  .strict();

/** A connector spec with its power type checked against (or taken from) the standard. */
export function connectorSpec(input: z.input<typeof connectorSpecSchema>): ConnectorSpec {
  const parsed = connectorSpecSchema.safeParse(input);
  if (!parsed.success)
    throw new GridlinkError(
      'GL_VALIDATION',
      `connector: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  const { standard, maxPowerW } = parsed.data;
  const powerType = parsed.data.powerType ?? POWER_TYPE_OF[standard];
  if (powerType !== POWER_TYPE_OF[standard])
    throw new GridlinkError(
      'GL_VALIDATION',
      `connector.powerType: ${standard} is ${POWER_TYPE_OF[standard].toUpperCase()}, not ${powerType.toUpperCase()}`,
    );
  return { standard, powerType, maxPowerW };
}

/**
 * `type2:22000`, `ccs2:150000` (standard and watts; the power type follows the standard): the CLI's
 * `--connector` flag and the import API's `connector` parameter.
 */
export function parseConnectorText(text: string): ConnectorSpec {
  const m = /^([a-z0-9_]+):([1-9][0-9]{0,6})$/.exec(text.trim());
  if (!m || !(connectorStandards as readonly string[]).includes(m[1] as string))
    throw new GridlinkError(
      'GL_VALIDATION',
      `connector: expected STANDARD:WATTS with STANDARD one of ${connectorStandards.join(', ')} (e.g. type2:22000), got "${text.slice(0, 40)}"`,
    );
  return connectorSpec({ standard: m[1] as ConnectorStandard, maxPowerW: Number(m[2]) });
}
