import type { ClockAndTimers } from '@gridlink/shared';
import type { Logger } from 'pino';
import { Ticker } from '../ticker.js';
import type { ReservationEngine } from './engine.js';

/**
 * The reservations monitor: a catch-up pass at start, then one pass every `periodMs` on the
 * injected clock (seconds-granular: holds and no-shows end within a tick). One pass at a time; a
 * tick that finds one running is skipped.
 */
export class ReservationMonitor {
  readonly #engine: ReservationEngine;
  readonly #clock: ClockAndTimers;
  readonly #logger: Logger;
  readonly #periodMs: number;
  #ticker: Ticker | undefined;
  #running: Promise<void> | null = null;

  constructor(o: {
    engine: ReservationEngine;
    clock: ClockAndTimers;
    logger: Logger;
    periodMs: number;
  }) {
    this.#engine = o.engine;
    this.#clock = o.clock;
    this.#logger = o.logger;
    this.#periodMs = o.periodMs;
  }

  async start(): Promise<void> {
    await this.pass();
    this.#ticker = new Ticker(
      this.#clock,
      this.#periodMs,
      () => this.pass(),
      () => undefined,
    ).start();
  }

  /** One pass now (or the one already running); never throws. */
  pass(): Promise<void> {
    if (this.#running) return this.#running;
    this.#running = this.#engine
      .tick()
      .catch((err) => this.#logger.error({ err }, 'reservations monitor pass failed'))
      .finally(() => {
        this.#running = null;
      });
    return this.#running;
  }

  async stop(): Promise<void> {
    await this.#ticker?.stop();
    this.#ticker = undefined;
    await this.#running;
    await this.#engine.idle();
  }
}
