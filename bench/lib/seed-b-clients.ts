/**
 * Child process of the legacy bench's seed B half (bench/legacy-seed-b.ts): `count` seed B
 * station clients written from the seed contract (SEEDS.md B) with plain mqtt.js and nothing but
 * broker, port and client id, each on its own connection, in a process of their own so their
 * parsing does not share the central's event loop. On `round` every client sends `requests`
 * requests one after another (all clients at once) and the child answers with each round
 * trip's time; a request not answered inside `giveUpMs` counts as lost.
 *
 * Protocol (IPC): parent → `{type:'round', kind, serverId, requests, giveUpMs, postoId?}` |
 * `{type:'stop'}`; child → `{type:'ready'}` | `{type:'done', ms:number[], lost, answers}` |
 * `{type:'error', message}`.
 */
import mqtt, { type MqttClient } from 'mqtt';

export type ClientsJob = { url: string; count: number; prefix: string };
export type RoundKind = 'list' | 'reserve';
export type ClientsRequest =
  | {
      type: 'round';
      kind: RoundKind;
      serverId: string;
      requests: number;
      giveUpMs: number;
      /** Reserve rounds: the stations to book, client i takes postoIds[i % length]. */
      postoIds?: number[];
      /** Distinguishes the request ids of rounds (a reserve's id is its idempotency key). */
      tag: string;
    }
  | { type: 'stop' };
export type ClientsMessage =
  | { type: 'ready'; connectMs: number }
  | {
      type: 'done';
      ms: number[];
      lost: number;
      /** Answers by `status` (reserve) or `postos` (list). */
      answers: Record<string, number>;
      /** Bytes of the first answer (for the echo's payload size check). */
      answerBytes: number;
    }
  | { type: 'error'; message: string };

const job = JSON.parse(process.argv[2] ?? '{}') as ClientsJob;
const send = (m: ClientsMessage) => process.send?.(m);

type Answer = { body: Record<string, unknown>; bytes: number };

class StationClient {
  readonly #waiting = new Map<string, (a: Answer) => void>();
  constructor(
    readonly client: MqttClient,
    readonly clientId: string,
  ) {
    client.on('message', (_topic, payload) => {
      const body = JSON.parse(payload.toString()) as Record<string, unknown>;
      const id = String(body.request_id);
      const done = this.#waiting.get(id);
      if (done) {
        this.#waiting.delete(id);
        done({ body, bytes: payload.length });
      }
    });
  }

  ask(topic: string, body: Record<string, unknown>, giveUpMs: number): Promise<Answer | null> {
    const id = String(body.request_id);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(null);
      }, giveUpMs);
      this.#waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.client.publish(topic, JSON.stringify(body), { qos: 1 });
    });
  }
}

const clients: StationClient[] = [];

async function connectAll(): Promise<void> {
  // In waves, so the connect storm itself is not what is measured.
  const WAVE = 100;
  for (let i = 0; i < job.count; i += WAVE)
    await Promise.all(
      Array.from({ length: Math.min(WAVE, job.count - i) }, async (_, k) => {
        const clientId = `${job.prefix}${i + k}`;
        const client = await mqtt.connectAsync(job.url, {
          clientId,
          reconnectPeriod: 0,
          protocolVersion: 4,
        });
        await client.subscribeAsync(
          [`client/${clientId}/postos/response`, `client/${clientId}/postos/reserva/response`],
          { qos: 1 },
        );
        clients[i + k] = new StationClient(client, clientId);
      }),
    );
}

async function round(r: Extract<ClientsRequest, { type: 'round' }>): Promise<ClientsMessage> {
  const ms: number[] = [];
  const answers: Record<string, number> = {};
  let lost = 0;
  let answerBytes = 0;
  await Promise.all(
    clients.map(async (c, i) => {
      for (let n = 0; n < r.requests; n++) {
        const request_id = `${r.tag}-${n}`;
        const header = { request_id, client_id: c.clientId, server_id: r.serverId };
        const t = performance.now();
        const a =
          r.kind === 'list'
            ? await c.ask('server/postos/request', header, r.giveUpMs)
            : await c.ask(
                'server/postos/reserva',
                {
                  ...header,
                  carro: {
                    placa: `BNC${String(i).padStart(4, '0')}`,
                    modelo: 'Tesla Model 3',
                    capacidade_bateria: 75,
                    nivel_bateria_atual: 40,
                    taxa_descarga: 0.15,
                  },
                  posto_id: r.postoIds?.[i % r.postoIds.length] ?? 1,
                },
                r.giveUpMs,
              );
        if (!a) {
          lost++;
          continue;
        }
        ms.push(performance.now() - t);
        answerBytes ||= a.bytes;
        const key =
          r.kind === 'list'
            ? `postos:${(a.body.postos as unknown[] | undefined)?.length ?? 'none'}`
            : String(a.body.status);
        answers[key] = (answers[key] ?? 0) + 1;
      }
    }),
  );
  return { type: 'done', ms, lost, answers, answerBytes };
}

process.on('message', (m: ClientsRequest) => {
  if (m.type === 'stop') {
    void Promise.all(clients.map((c) => c.client.endAsync(true))).finally(() => process.exit(0));
    return;
  }
  round(m).then(send, (err: Error) => send({ type: 'error', message: err.message }));
});

const t0 = performance.now();
connectAll().then(
  () => send({ type: 'ready', connectMs: performance.now() - t0 }),
  (err: Error) => send({ type: 'error', message: `connect: ${err.message}` }),
);
