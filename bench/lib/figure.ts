export interface Figure {
  metric: string;
  value: number;
  unit: string;
  /** The same quantity for the raw engine, measured in the same run. */
  baseline?: number;
}

export interface BenchContext {
  log(line: string): void;
}

export type Benchmark = (ctx: BenchContext) => Promise<Figure[]>;

/** Rounds to 3 significant decimals for readable JSON. */
export const round = (n: number, digits = 1) => Number(n.toFixed(digits));
