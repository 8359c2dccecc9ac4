import {
  type Clock,
  type CommandResult,
  type DeviceCommand,
  deviceCommandSchema,
  edgeTopic,
  isGridlinkError,
  parseJsonPayload,
  systemClock,
} from '@gridlink/shared';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';

export interface CommandHandlerOptions {
  edgeId: string;
  mqtt: MqttClient;
  /** Runs the command (through the device's link, ahead of polls); rejects with a catalog error. */
  execute: (command: DeviceCommand) => Promise<void>;
  logger: Logger;
  /** Times of the results; default the system clock. */
  clock?: Clock;
  /** Results remembered for redelivered ids (MQTT QoS 1 is at-least-once, [MQTT-4.3.2]). */
  remember?: number;
  maxPayloadBytes?: number;
}

/**
 * Device commands from the central: `.../commands` in, `.../commands/result` out. A command id
 * seen before is answered with its first result and not executed again, so a redelivery never
 * writes a device twice.
 */
export class CommandHandler {
  readonly #o: CommandHandlerOptions;
  readonly #topic: string;
  readonly #resultTopic: string;
  readonly #results = new Map<string, Promise<CommandResult>>();
  #executed = 0;
  #failed = 0;
  #rejected = 0;
  #subscribed!: () => void;
  /** Resolves once the first subscription to the commands topic is granted. */
  readonly subscribed = new Promise<void>((resolve) => {
    this.#subscribed = resolve;
  });

  constructor(options: CommandHandlerOptions) {
    this.#o = options;
    this.#topic = edgeTopic(options.edgeId, 'commands');
    this.#resultTopic = edgeTopic(options.edgeId, 'commands/result');
  }

  get stats(): { executed: number; failed: number; rejected: number } {
    return { executed: this.#executed, failed: this.#failed, rejected: this.#rejected };
  }

  start(): void {
    const { mqtt } = this.#o;
    mqtt.on('connect', this.#onConnect);
    mqtt.on('message', this.#onMessage);
    if (mqtt.connected) this.#onConnect();
  }

  stop(): void {
    this.#o.mqtt.off('connect', this.#onConnect);
    this.#o.mqtt.off('message', this.#onMessage);
  }

  /** Handles one payload; resolves with the result it published. Exposed for tests and tools. */
  async handle(payload: Buffer | string): Promise<CommandResult | undefined> {
    let command: DeviceCommand;
    try {
      command = parseJsonPayload(deviceCommandSchema, payload, this.#o.maxPayloadBytes ?? 4096);
    } catch (err) {
      this.#rejected++;
      const id = idOf(payload);
      const error = toError(err);
      this.#o.logger.warn({ code: error.code, id }, 'command rejected');
      // Without an id the central cannot correlate a result: log only.
      if (id === undefined) return undefined;
      const result: CommandResult = { id, ok: false, error, at: this.#now() };
      this.#publish(result);
      return result;
    }
    let pending = this.#results.get(command.id);
    if (!pending) {
      pending = this.#run(command);
      this.#results.set(command.id, pending);
      const limit = this.#o.remember ?? 1000;
      while (this.#results.size > limit) {
        const oldest = this.#results.keys().next().value as string;
        this.#results.delete(oldest);
      }
    }
    const result = await pending;
    this.#publish(result);
    return result;
  }

  async #run(command: DeviceCommand): Promise<CommandResult> {
    try {
      await this.#o.execute(command);
      this.#executed++;
      this.#o.logger.info(
        { id: command.id, deviceId: command.deviceId, command: command.command },
        'command executed',
      );
      return { id: command.id, ok: true, at: this.#now() };
    } catch (err) {
      this.#failed++;
      const error = toError(err);
      this.#o.logger.warn(
        { id: command.id, deviceId: command.deviceId, code: error.code },
        'command failed',
      );
      return { id: command.id, ok: false, error, at: this.#now() };
    }
  }

  #publish(result: CommandResult): void {
    this.#o.mqtt.publish(this.#resultTopic, JSON.stringify(result), { qos: 1 }, (err) => {
      if (err) this.#o.logger.warn({ err: err.message, id: result.id }, 'command result not sent');
    });
  }

  #now(): number {
    return (this.#o.clock ?? systemClock).now();
  }

  readonly #onConnect = (): void => {
    // Clean sessions forget subscriptions: subscribe on every connect.
    this.#o.mqtt.subscribe(this.#topic, { qos: 1 }, (err) => {
      if (err) this.#o.logger.warn({ err: err.message }, 'cannot subscribe to commands');
      else this.#subscribed();
    });
  };

  readonly #onMessage = (topic: string, payload: Buffer): void => {
    if (topic !== this.#topic) return;
    // Off the MQTT delivery path: a slow device write never stalls the client.
    void this.handle(payload).catch((err: Error) =>
      this.#o.logger.error({ err }, 'command handling failed unexpectedly'),
    );
  };
}

function toError(err: unknown): { code: string; message: string } {
  if (isGridlinkError(err)) return { code: err.code, message: err.message.slice(0, 500) };
  return { code: 'GL_INTERNAL', message: 'unexpected error; see the edge log' };
}

/** The id of a payload that failed validation, when it has a usable one. */
function idOf(payload: Buffer | string): string | undefined {
  try {
    const id = (JSON.parse(payload.toString()) as { id?: unknown }).id;
    return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}
