import { type Logger, pino } from 'pino';
import { bump, type Tally } from './tally.js';

/** One JSON log line as pino writes it (the fields the suite reads). */
export interface LogLine {
  level: number;
  msg?: string;
  code?: string;
  edgeId?: string;
  err?: { message?: string; stack?: string };
  [key: string]: unknown;
}

/**
 * A pino logger whose lines the suite reads as they are written (synchronously): counts by
 * code, the lines at error level and above, and a hook per line, so an oracle can tell the moment
 * a refusal was logged.
 */
export class LogCapture {
  readonly codes: Tally = {};
  readonly errors: LogLine[] = [];
  readonly logger: Logger;
  #listeners: Array<(line: LogLine) => void> = [];

  constructor(level = 'info') {
    this.logger = pino({ level }, { write: (s: string) => this.#line(s) });
  }

  onLine(listener: (line: LogLine) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  #line(text: string): void {
    const line = JSON.parse(text) as LogLine;
    if (line.code) bump(this.codes, line.code);
    if (line.level >= 50 && this.errors.length < 50) this.errors.push(line);
    for (const l of this.#listeners) l(line);
  }
}
