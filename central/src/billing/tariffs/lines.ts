import type { Centavos, WattHours } from '../../money/index.js';

export type InvoiceLineKind = 'energy' | 'availability' | 'bandeira' | 'tax' | 'public-lighting';

/** One invoice line; `amount` is rounded once, half to even, from its exact value. */
export interface InvoiceLine {
  kind: InvoiceLineKind;
  /** Stable machine code: `energy`, `energy.tier-2`, `energy.ponta`, `bandeira.amarela`, `tax.icms`… */
  code: string;
  /** pt-BR text for the printed invoice. */
  description: string;
  quantityWh?: WattHours;
  /** R$/kWh for energy, R$/100 kWh for bandeiras, the rate for taxes — as decimal text. */
  unitPrice?: string;
  amount: Centavos;
}
