import { EventEmitter } from 'node:events';
import {
  ackSchema,
  compressIfSmaller,
  edgeTopic,
  GridlinkError,
  idSchema,
  isGridlinkError,
  MAX_BATCH_READINGS,
  parseJsonPayload,
  systemClock,
  type TimerHandle,
} from '@gridlink/shared';
import type { Packet } from 'mqtt';
import type { Logger } from 'pino';
import type { EncodedReadings } from '../log/index.js';
import { encodeBatch, envelopeReserve } from './batch.js';
import { connackErrorCode, connackReason } from './connack.js';
import { defaultReconnectBackoff, MAX_ACK_BYTES } from './defaults.js';
import { attachClockReconnect, attachReconnectBackoff } from './reconnect-backoff.js';
import type { GoBackReason, Timers, UplinkEvents, UplinkOptions, UplinkStats } from './types.js';

interface InFlight {
  firstSeq: number;
  lastSeq: number;
}

function invalid(message: string): GridlinkError {
  return new GridlinkError('GL_CONFIG_INVALID', `uplink ${message}`);
}

function validate(o: UplinkOptions): void {
  if (!idSchema.safeParse(o.edgeId).success) throw invalid('edgeId is not a valid id');
  const { maxReadings, maxBytes, maxDelayMs } = o.batch;
  if (!Number.isInteger(maxReadings) || maxReadings < 1 || maxReadings > MAX_BATCH_READINGS)
    throw invalid(`batch.maxReadings must be an integer in 1..${MAX_BATCH_READINGS}`);
  if (!(maxBytes > envelopeReserve(maxReadings)))
    throw invalid(
      `batch.maxBytes must exceed ${envelopeReserve(maxReadings)} for this maxReadings`,
    );
  if (!(maxDelayMs >= 0)) throw invalid('batch.maxDelayMs must be >= 0');
  if (!Number.isInteger(o.window) || o.window < 1) throw invalid('window must be an integer >= 1');
  if (!(o.resendAfterMs > 0)) throw invalid('resendAfterMs must be > 0');
}

/**
 * Forwards the reading log to the central (ARCHITECTURE.md, data path steps 3-4): batches as MQTT
 * QoS 1, up to `window` in flight, deleted from the log on the central's cumulative ack, and
 * go-back-N to `lastAcked + 1` after a timeout, a gap reply or a reconnect. The log is the only
 * queue: a backlog and fresh readings leave in seq order. See docs/STORE-AND-FORWARD.md.
 */
export class Uplink extends EventEmitter<UplinkEvents> {
  readonly #o: UplinkOptions;
  readonly #log: Logger;
  readonly #timers: Timers;
  readonly #telemetryTopic: string;
  readonly #ackTopic: string;
  readonly #readBytes: number;

  #running = false;
  /** Connected and subscribed to acks: batches may go out. */
  #ready = false;
  /** Bumped on every connect and close, so a late SUBACK of an old connection is ignored. */
  #connection = 0;
  /** Bumped on every go-back, so a read that raced it is discarded. */
  #generation = 0;
  #lastAcked = 0;
  #nextSeq = 1;
  #highestSent = 0;
  #inFlight: InFlight[] = [];
  /** The mark a gap reply already made us go back to; the same reply again changes nothing. */
  #wentBackAt: number | undefined;
  #pumping = false;
  #pumpAgain = false;
  #flushTimer: TimerHandle | undefined;
  #flushDue = false;
  #resendTimer: TimerHandle | undefined;
  #sentBatches = 0;
  #resends = 0;
  #goBacks = 0;
  #detachBackoff: (() => void) | undefined;
  /** The next reconnect's delay when reconnects run on the timers (reconnectOnTimers). */
  #retryInMs: (() => number) | undefined;
  /** CONNECTs refused in a row (reset on a connection). */
  #refusals = 0;

  constructor(options: UplinkOptions) {
    super();
    validate(options);
    this.#o = options;
    // edgeId is bound once, by the agent's logger (gridlink-edge's base): a second binding
    // wrote the key twice in every uplink line.
    this.#log = options.logger.child({ component: 'uplink' });
    this.#timers = options.timers ?? systemClock;
    this.#telemetryTopic = edgeTopic(options.edgeId, 'telemetry');
    this.#ackTopic = edgeTopic(options.edgeId, 'ack');
    this.#readBytes = options.batch.maxBytes - envelopeReserve(options.batch.maxReadings);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#lastAcked = this.#o.log.stats().ackedUpTo;
    this.#nextSeq = this.#lastAcked + 1;
    const { mqtt } = this.#o;
    mqtt.on('connect', this.#onConnect);
    mqtt.on('close', this.#onClose);
    mqtt.on('message', this.#onMessage);
    mqtt.on('packetreceive', this.#onPacket);
    const backoff = this.#o.reconnect ?? defaultReconnectBackoff;
    if (backoff && this.#o.reconnectOnTimers && (mqtt.options.reconnectPeriod ?? 0) === 0) {
      const clock = attachClockReconnect(mqtt, backoff, this.#timers);
      this.#detachBackoff = clock.detach;
      this.#retryInMs = clock.nextDelayMs;
    } else if (backoff && (mqtt.options.reconnectPeriod ?? 0) > 0) {
      this.#detachBackoff = attachReconnectBackoff(mqtt, backoff);
    }
    if (mqtt.connected) this.#onConnect();
  }

  /** Stops sending and all timers. The MQTT client stays as it is (the caller owns it). */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    this.#ready = false;
    const { mqtt } = this.#o;
    mqtt.off('connect', this.#onConnect);
    mqtt.off('close', this.#onClose);
    mqtt.off('message', this.#onMessage);
    mqtt.off('packetreceive', this.#onPacket);
    this.#detachBackoff?.();
    this.#detachBackoff = undefined;
    this.#retryInMs = undefined;
    this.#cancelFlush();
    this.#cancelResend();
  }

  /** Called after each append: sends a full batch now, a partial one after maxDelayMs. */
  notify(): void {
    void this.#pump();
  }

  stats(): UplinkStats {
    return {
      inFlight: this.#inFlight.length,
      lastAcked: this.#lastAcked,
      nextSeq: this.#nextSeq,
      sentBatches: this.#sentBatches,
      resends: this.#resends,
      goBacks: this.#goBacks,
      ready: this.#ready,
    };
  }

  readonly #onConnect = (): void => {
    const connection = ++this.#connection;
    // Clean sessions forget subscriptions: subscribe on every connect, then resume.
    this.#o.mqtt
      .subscribeAsync(this.#ackTopic, { qos: 1 })
      .then(() => {
        if (!this.#running || connection !== this.#connection) return;
        this.#ready = true;
        this.#log.info({ lastAcked: this.#lastAcked }, 'uplink connected');
        this.emit('connection', { ready: true });
        // Whatever was in flight on the old connection may be lost: resend it.
        this.#goBack('reconnect');
      })
      .catch((err: Error) => {
        this.#log.warn({ reason: err.message }, 'subscribing to acks failed; waiting to reconnect');
      });
  };

  /** A refusing CONNACK is warned every time, with its code named; mqtt.js then retries. */
  readonly #onPacket = (packet: Packet): void => {
    if (packet.cmd !== 'connack') return;
    const rc = packet.returnCode ?? packet.reasonCode ?? 0;
    if (rc === 0) {
      this.#refusals = 0;
      return;
    }
    this.#refusals++;
    const { mqtt } = this.#o;
    const retrying = mqtt.options.reconnectOnConnackError === true || this.#retryInMs !== undefined;
    this.#log.warn(
      {
        code: connackErrorCode(rc),
        connackCode: rc,
        reason: connackReason(rc),
        refusals: this.#refusals,
        retryInMs: retrying ? (this.#retryInMs?.() ?? mqtt.options.reconnectPeriod) : undefined,
      },
      retrying
        ? 'the broker refused the connection; retrying'
        : 'the broker refused the connection; not retrying (reconnectOnConnackError is off)',
    );
  };

  readonly #onClose = (): void => {
    this.#connection++;
    const wasReady = this.#ready;
    if (wasReady) this.#log.info({ inFlight: this.#inFlight.length }, 'uplink disconnected');
    this.#ready = false;
    if (wasReady) this.emit('connection', { ready: false });
    this.#cancelResend();
  };

  readonly #onMessage = (topic: string, payload: Buffer): void => {
    if (topic !== this.#ackTopic || !this.#running) return;
    let ack: { epoch: string; upTo: number };
    try {
      ack = parseJsonPayload(ackSchema, payload, MAX_ACK_BYTES);
    } catch (err) {
      const code = isGridlinkError(err) ? err.code : 'GL_INTERNAL';
      this.#log.warn({ code, reason: (err as Error).message.slice(0, 200) }, 'bad ack ignored');
      return;
    }
    if (ack.epoch !== this.#o.log.epoch) {
      this.#log.debug({ upTo: ack.upTo }, 'ack for another epoch ignored');
      return;
    }
    void this.#onAck(ack.upTo);
  };

  async #onAck(upTo: number): Promise<void> {
    const { lastSeq } = this.#o.log.stats();
    if (upTo > lastSeq) {
      this.#log.warn({ upTo, lastSeq }, 'ack beyond the last seq of this epoch ignored');
      return;
    }
    if (upTo <= this.#lastAcked) {
      // The central's mark is where it was although we sent beyond it: it saw a gap (a batch
      // was lost) and refused what followed. Go back once per mark; older acks are stale.
      if (upTo === this.#lastAcked && this.#inFlight.length > 0 && this.#wentBackAt !== upTo) {
        this.#wentBackAt = upTo;
        this.#goBack('gap');
      }
      this.emit('ack', { upTo, progress: false });
      return;
    }
    this.#lastAcked = upTo;
    this.#wentBackAt = undefined;
    this.#inFlight = this.#inFlight.filter((b) => b.lastSeq > upTo);
    if (this.#nextSeq <= upTo) {
      // The central is ahead of what we sent (an ack lost before a restart): skip ahead.
      this.#nextSeq = upTo + 1;
      this.#generation++;
    }
    this.#cancelResend();
    this.#armResend();
    try {
      await this.#o.log.ack(upTo);
    } catch (err) {
      this.#log.error({ code: 'GL_INTERNAL', err, upTo }, 'deleting acknowledged readings failed');
    }
    this.emit('ack', { upTo, progress: true });
    void this.#pump();
  }

  #goBack(reason: GoBackReason): void {
    const from = this.#lastAcked + 1;
    const wasAhead = this.#nextSeq > from;
    this.#generation++;
    this.#inFlight = [];
    this.#nextSeq = from;
    this.#cancelResend();
    if (wasAhead) {
      this.#goBacks++;
      this.#log.info({ from, reason }, 'going back to the last acknowledged seq');
      this.emit('goBack', { from, reason });
    }
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#pumpAgain = false;
        await this.#fill();
      } while (this.#pumpAgain && this.#running);
    } catch (err) {
      this.#log.error({ code: 'GL_INTERNAL', err }, 'reading the log failed');
    } finally {
      this.#pumping = false;
    }
  }

  /** Sends batches from nextSeq while the window has room; a partial batch waits for its timer. */
  async #fill(): Promise<void> {
    const { maxReadings } = this.#o.batch;
    while (this.#running && this.#ready && this.#inFlight.length < this.#o.window) {
      const generation = this.#generation;
      // The end of the log as the read sees it: readings appended while it runs are not in it.
      const end = this.#o.log.stats().lastSeq;
      const run = await this.#o.log.readEncoded(this.#nextSeq, maxReadings, this.#readBytes);
      if (generation !== this.#generation) continue; // went back meanwhile: read again
      if (!this.#running || !this.#ready) return;
      if (run.count === 0) {
        this.#cancelFlush();
        return;
      }
      // Full when the read stopped at a limit (count or bytes) short of that end. Readings
      // appended during the read do not make it full: the next pass reads again, with them.
      const full = run.count >= maxReadings || run.lastSeq < end;
      if (!full && !this.#flushDue) {
        this.#armFlush();
        return;
      }
      this.#send(run);
    }
  }

  #send(run: EncodedReadings): void {
    const batch = { firstSeq: run.firstSeq, lastSeq: run.lastSeq };
    const json = encodeBatch(this.#o.edgeId, this.#o.log.stats(), run);
    const { payload, compressed } =
      this.#o.compression === 'gzip'
        ? compressIfSmaller(json)
        : { payload: json, compressed: false };
    const resend = batch.firstSeq <= this.#highestSent;
    this.#highestSent = Math.max(this.#highestSent, batch.lastSeq);
    this.#inFlight.push({ firstSeq: batch.firstSeq, lastSeq: batch.lastSeq });
    this.#nextSeq = batch.lastSeq + 1;
    this.#sentBatches++;
    if (resend) this.#resends++;
    this.#flushDue = false;
    this.#cancelFlush();
    this.#armResend();
    // PUBACK only means the broker has it; the central's ack is what counts. A failed publish
    // is left to the resend timer or the reconnect.
    this.#o.mqtt.publishAsync(this.#telemetryTopic, payload, { qos: 1 }).catch((err: Error) => {
      this.#log.debug({ reason: err.message, firstSeq: batch.firstSeq }, 'publish failed');
    });
    this.emit('sent', {
      firstSeq: batch.firstSeq,
      lastSeq: batch.lastSeq,
      resend,
      bytes: typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length,
      compressed,
    });
  }

  #armFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = this.#timers.setTimeout(() => {
      this.#flushTimer = undefined;
      this.#flushDue = true;
      void this.#pump();
    }, this.#o.batch.maxDelayMs);
  }

  #cancelFlush(): void {
    if (this.#flushTimer === undefined) return;
    this.#timers.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
  }

  #armResend(): void {
    if (this.#resendTimer !== undefined || this.#inFlight.length === 0) return;
    this.#resendTimer = this.#timers.setTimeout(() => {
      this.#resendTimer = undefined;
      if (!this.#ready || this.#inFlight.length === 0) return;
      this.#log.info(
        { lastAcked: this.#lastAcked, inFlight: this.#inFlight.length },
        'acks stopped advancing',
      );
      this.#goBack('timeout');
    }, this.#o.resendAfterMs);
  }

  #cancelResend(): void {
    if (this.#resendTimer === undefined) return;
    this.#timers.clearTimeout(this.#resendTimer);
    this.#resendTimer = undefined;
  }
}
