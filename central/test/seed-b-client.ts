import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';

/**
 * A seed B station client written from the seed contract (SEEDS.md B) with plain mqtt.js and the
 * original's only settings: broker, port, client id (credentials only where a test gives some).
 * It gives up after 5 s (list) and 10 s (reserve), as the original did: `null` then.
 */
export class SeedBClient {
  readonly answers: Array<{ topic: string; body: Record<string, unknown> }> = [];
  readonly #waiting = new Map<string, (body: Record<string, unknown>) => void>();

  private constructor(
    readonly client: MqttClient,
    readonly clientId: string,
  ) {
    client.on('message', (topic, payload) => {
      const body = JSON.parse(payload.toString()) as Record<string, unknown>;
      this.answers.push({ topic, body });
      const done = this.#waiting.get(String(body.request_id));
      if (done) {
        this.#waiting.delete(String(body.request_id));
        done(body);
      }
    });
  }

  static async connect(
    url: string,
    clientId: string,
    credentials: { username?: string; password?: string } = {},
  ): Promise<SeedBClient> {
    const client = await mqtt.connectAsync(url, {
      clientId,
      reconnectPeriod: 0,
      protocolVersion: 4,
      ...credentials,
    });
    const c = new SeedBClient(client, clientId);
    await client.subscribeAsync(
      [`client/${clientId}/postos/response`, `client/${clientId}/postos/reserva/response`],
      { qos: 1 },
    );
    return c;
  }

  #ask(
    topic: string,
    body: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<Record<string, unknown> | null> {
    const id = String(body.request_id);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(null);
      }, timeoutMs);
      this.#waiting.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.client.publish(topic, JSON.stringify(body), { qos: 1 });
    });
  }

  list(serverId: string, requestId: string = randomUUID(), clientId = this.clientId) {
    return this.#ask(
      'server/postos/request',
      { request_id: requestId, client_id: clientId, server_id: serverId },
      5_000,
    );
  }

  reserve(serverId: string, postoId: number, placa: string, requestId: string = randomUUID()) {
    return this.#ask(
      'server/postos/reserva',
      {
        request_id: requestId,
        client_id: this.clientId,
        server_id: serverId,
        carro: {
          placa,
          modelo: 'Tesla Model 3',
          capacidade_bateria: 75,
          nivel_bateria_atual: 40,
          taxa_descarga: 0.15,
        },
        posto_id: postoId,
      },
      10_000,
    );
  }

  end(): Promise<void> {
    return this.client.endAsync(true);
  }
}
