/** Counts by key, for the verdicts and mutation classes a fuzz run reports. */
export type Tally = Record<string, number>;

export function bump(t: Tally, key: string, n = 1): void {
  t[key] = (t[key] ?? 0) + n;
}

export function merge(into: Tally, from: Tally): void {
  for (const [k, n] of Object.entries(from)) bump(into, k, n);
}

/** `a=3 b=1`, keys sorted, for one summary line. */
export function formatTally(t: Tally): string {
  return (
    Object.entries(t)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k}=${n}`)
      .join(' ') || '(none)'
  );
}

/**
 * One oracle violation, with what it takes to replay it: the target's command-line arguments,
 * the run's seed and the case's index (`npm run fuzz -- --target T --seed S --case I`).
 */
export interface FuzzFailure {
  /** `--target …` (and `--store …`): the arguments that select the target. */
  target: string;
  seed: number;
  /** The case that showed it; undefined for a run-wide check (e.g. the final database check). */
  index?: number;
  message: string;
}

export function formatFailure(f: FuzzFailure): string {
  const which = `${f.target} --seed ${f.seed}${f.index === undefined ? '' : ` --case ${f.index}`}`;
  return `[fuzz ${which}] ${f.message}\n  replay: npm run fuzz -- ${which}`;
}

/** Keeps the first `max` failures and counts the rest, so a broken run stays readable. */
export class Failures {
  readonly list: FuzzFailure[] = [];
  count = 0;
  readonly #target: string;
  readonly #seed: number;
  readonly #max: number;

  /** `target`: the command-line arguments that select the target, e.g. `--target http`. */
  constructor(target: string, seed: number, max = 50) {
    this.#target = target;
    this.#seed = seed;
    this.#max = max;
  }

  add(message: string, index?: number): void {
    this.count++;
    if (this.list.length < this.#max)
      this.list.push({ target: this.#target, seed: this.#seed, index, message });
  }

  /** Every failure kept, formatted, with the number left out. */
  format(): string {
    const more = this.count - this.list.length;
    return [...this.list.map(formatFailure), ...(more > 0 ? [`… and ${more} more`] : [])].join(
      '\n',
    );
  }
}
