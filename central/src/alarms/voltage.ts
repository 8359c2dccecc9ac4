import type { AlarmSeverity } from './lifecycle.js';

/**
 * Steady-state voltage classes for low-voltage connections, ANEEL PRODIST Módulo 8 (Qualidade
 * do Fornecimento, Anexo: tabela de pontos de conexão com tensão nominal ≤ 1 kV, 220/127 V):
 *   127 V: adequada 117 ≤ V ≤ 133; precária 110 ≤ V < 117 or 133 < V ≤ 135; crítica beyond.
 *   220 V: adequada 202 ≤ V ≤ 231; precária 191 ≤ V < 202 or 231 < V ≤ 233; crítica beyond.
 * Configurable per deployment; see docs/ALARMS.md.
 */
export interface VoltageBand {
  nominal: number;
  adequate: [number, number];
  precarious: [number, number];
}

export const PRODIST_BANDS: readonly VoltageBand[] = [
  { nominal: 127, adequate: [117, 133], precarious: [110, 135] },
  { nominal: 220, adequate: [202, 231], precarious: [191, 233] },
];

export type VoltageClass = 'adequate' | 'precarious' | 'critical';

/** The band whose nominal is nearest the measured value (a 127 V phase or a 220 V phase). */
export function bandFor(volts: number, bands: readonly VoltageBand[] = PRODIST_BANDS): VoltageBand {
  let best = bands[0] as VoltageBand;
  for (const b of bands) if (Math.abs(volts - b.nominal) < Math.abs(volts - best.nominal)) best = b;
  return best;
}

export function classifyVoltage(volts: number, band: VoltageBand = bandFor(volts)): VoltageClass {
  if (volts >= band.adequate[0] && volts <= band.adequate[1]) return 'adequate';
  if (volts >= band.precarious[0] && volts <= band.precarious[1]) return 'precarious';
  return 'critical';
}

export const voltageSeverity: Record<Exclude<VoltageClass, 'adequate'>, AlarmSeverity> = {
  precarious: 'MINOR',
  critical: 'MAJOR',
};

/** The voltage keys of an SDM630 reading. */
export const PHASE_KEYS = ['voltage_l1', 'voltage_l2', 'voltage_l3'] as const;

/**
 * The worst phase of a reading, or undefined when every phase present is adequate (or no phase
 * voltage is present). A phase at ~0 V (not connected on a single-phase supply) is ignored.
 */
export function worstPhase(
  values: Record<string, unknown>,
  bands: readonly VoltageBand[] = PRODIST_BANDS,
): { phase: string; volts: number; nominal: number; class: 'precarious' | 'critical' } | undefined {
  let worst: ReturnType<typeof worstPhase>;
  for (const key of PHASE_KEYS) {
    const v = values[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 50) continue;
    const band = bandFor(v, bands);
    const cls = classifyVoltage(v, band);
    if (cls === 'adequate') continue;
    if (!worst || (cls === 'critical' && worst.class === 'precarious'))
      worst = { phase: key, volts: v, nominal: band.nominal, class: cls };
  }
  return worst;
}
