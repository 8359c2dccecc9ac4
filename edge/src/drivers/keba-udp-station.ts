import {
  type ClockAndTimers,
  GridlinkError,
  systemClock,
  type TimerHandle,
} from '@gridlink/shared';
import { answers, type KebaExpect, type KebaMessage } from './keba-udp-codec.js';

export interface KebaStationLinkOptions {
  /** Names the station in errors, e.g. `kc1 (192.168.1.20:7090)`. */
  name: string;
  /** Puts one request datagram on the wire; `done(err)` when the socket took it or failed. */
  send: (text: string, done: (err: Error | null) => void) => void;
  timeoutMs: number;
  /** Quiet time after each answer (or timeout) before the next datagram to this station. */
  pauseMs: number;
  /** Timeouts and quiet times; default the system clock. */
  clock?: ClockAndTimers;
}

export type KebaPriority = 'command' | 'poll';

interface Job {
  text: string;
  expect: KebaExpect;
  priority: KebaPriority;
  resolve: (message: KebaMessage) => void;
  reject: (err: GridlinkError) => void;
}

/**
 * One KEBA station's request line. KEBA's UDP protocol has no request ids, so a station gets one
 * request at a time: the answer is the next datagram from its address and port that fits what
 * the request waits for (a report of that ID, or TCH-OK / TCH-ERR for a command). Commands go
 * ahead of waiting polls. After every answer or timeout the line stays quiet for `pauseMs`
 * (the guide's pause between commands) before the next datagram leaves.
 */
export class KebaStationLink {
  readonly #o: KebaStationLinkOptions;
  readonly #queue: Job[] = [];
  readonly #clock: ClockAndTimers;
  #pending: { job: Job; timer: TimerHandle } | undefined;
  #quietUntil = 0;
  #pauseTimer: TimerHandle | undefined;
  #closed = false;
  readonly stats = { requests: 0, timeouts: 0, refused: 0 };

  constructor(options: KebaStationLinkOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Sends `text` when the line is free and resolves with the answer. Rejects with
   * GL_DEVICE_TIMEOUT (no answer within timeoutMs, or the datagram could not be sent) or
   * GL_COMMAND_REFUSED (the station answered TCH-ERR).
   */
  request(text: string, expect: KebaExpect, priority: KebaPriority): Promise<KebaMessage> {
    return new Promise<KebaMessage>((resolve, reject) => {
      if (this.#closed) {
        reject(new GridlinkError('GL_DEVICE_TIMEOUT', `${this.#o.name}: link closed`));
        return;
      }
      const job = { text, expect, priority, resolve, reject };
      if (priority === 'command') {
        const firstPoll = this.#queue.findIndex((j) => j.priority === 'poll');
        this.#queue.splice(firstPoll === -1 ? this.#queue.length : firstPoll, 0, job);
      } else this.#queue.push(job);
      this.#pump();
    });
  }

  /** A datagram from this station; true when it answered the request in flight. */
  deliver(message: KebaMessage): boolean {
    const p = this.#pending;
    if (!p || !answers(p.job.expect, message)) return false;
    if (message.kind === 'refused') {
      this.stats.refused++;
      this.#settle(
        new GridlinkError(
          'GL_COMMAND_REFUSED',
          `${this.#o.name}: "${p.job.text}" refused: ${message.text}`,
        ),
      );
    } else this.#settle(message);
    return true;
  }

  /** Fails the request in flight and every waiting one; later requests fail at once. */
  close(): void {
    this.#closed = true;
    this.#clock.clearTimeout(this.#pauseTimer);
    const closed = () => new GridlinkError('GL_DEVICE_TIMEOUT', `${this.#o.name}: link closed`);
    if (this.#pending) this.#settle(closed());
    for (const job of this.#queue.splice(0)) job.reject(closed());
  }

  #settle(outcome: KebaMessage | GridlinkError): void {
    const p = this.#pending;
    if (!p) return;
    this.#clock.clearTimeout(p.timer);
    this.#pending = undefined;
    this.#quietUntil = this.#clock.now() + this.#o.pauseMs;
    if (outcome instanceof GridlinkError) p.job.reject(outcome);
    else p.job.resolve(outcome);
    this.#pump();
  }

  #pump(): void {
    if (this.#closed || this.#pending || this.#pauseTimer || this.#queue.length === 0) return;
    const wait = this.#quietUntil - this.#clock.now();
    if (wait > 0) {
      this.#pauseTimer = this.#clock.setTimeout(() => {
        this.#pauseTimer = undefined;
        this.#pump();
      }, wait);
      this.#pauseTimer.unref();
      return;
    }
    const job = this.#queue.shift() as Job;
    this.stats.requests++;
    const timer = this.#clock.setTimeout(() => {
      this.stats.timeouts++;
      this.#settle(
        new GridlinkError(
          'GL_DEVICE_TIMEOUT',
          `${this.#o.name}: no answer to "${job.text}" within ${this.#o.timeoutMs} ms`,
        ),
      );
    }, this.#o.timeoutMs);
    timer.unref();
    this.#pending = { job, timer };
    this.#o.send(job.text, (err) => {
      if (err && this.#pending?.job === job)
        this.#settle(
          new GridlinkError('GL_DEVICE_TIMEOUT', `${this.#o.name}: send failed: ${err.message}`),
        );
    });
  }
}
