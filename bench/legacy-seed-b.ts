/**
 * Seed B half of `npm run bench -- legacy` (issue #18 "Done when", docs/LEGACY-SEED-B.md):
 * round trip p50/p99 of seed B station clients over MQTT with 1,000 concurrent clients (each
 * its own anonymous connection, in a child process: bench/lib/seed-b-clients.ts), against a bare
 * MQTT echo through the same broker in the same run.
 *
 * - Seed B: the central (PGlite, embedded broker, `legacy.seedB` anonymous, the Feira de Santana
 *   network imported over HTTP) answers `server/postos/request` through its responder (parse,
 *   server map, rate bucket, queue, the shared station query, publish).
 * - Echo (baseline): a service subscribed inside the same aedes, as the central's router is,
 *   answers requests naming the server `echo` (which the central leaves to "another server", as
 *   seed B's multi-server design does) on the same answer topic with a payload of the same size:
 *   the list answer the central gave, with the request's id. Same clients, topics, QoS 1 and
 *   broker; what is left is the central's work.
 * Rounds alternate echo / seed B so both see the same machine load. Then one reserve per client
 * (1,000 at once over the network's stations, most refused: no free point) against the echo
 * answering reserves; after it the booked rows are checked against the `sucesso` answers and for
 * overlaps. The client gives up after the original's time-outs (5 s list, 10 s reserve): lost
 * requests are reported. GRIDLINK_BENCH_SEEDB_CLIENTS (1,000), _REQUESTS (list requests per
 * client per round, 5), _ROUNDS (3).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CentralConfigInput, mintToken, startCentral } from '@gridlink/central';
import { sql } from 'kysely';
import mqtt from 'mqtt';
import { pino } from 'pino';
import type { BenchContext, Benchmark, Figure } from './lib/figure.js';
import { round } from './lib/figure.js';
import { percentile } from './lib/history-store.js';
import type { ClientsMessage, ClientsRequest, RoundKind } from './lib/seed-b-clients.js';

const CLIENTS = Number(process.env.GRIDLINK_BENCH_SEEDB_CLIENTS ?? 1_000);
const REQUESTS = Number(process.env.GRIDLINK_BENCH_SEEDB_REQUESTS ?? 5);
const ROUNDS = Number(process.env.GRIDLINK_BENCH_SEEDB_ROUNDS ?? 3);
const FEIRA = '/work/shared/data/seed/feira_de_santana_stations.csv';
const SERVER = 'servidor-feira';
const ECHO = 'echo';
const LIST_GIVE_UP_MS = 5_000;
const RESERVE_GIVE_UP_MS = 10_000;

type Done = Extract<ClientsMessage, { type: 'done' }>;

/** The station clients' child process: connect, then rounds on request. */
async function spawnClients(url: string) {
  const script = fileURLToPath(new URL('./lib/seed-b-clients.ts', import.meta.url));
  const child: ChildProcess = fork(
    script,
    [JSON.stringify({ url, count: CLIENTS, prefix: 'bench-b-' })],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const exited = once(child, 'exit');
  exited.catch(() => undefined);
  const next = () =>
    Promise.race([
      once(child, 'message').then(([m]) => m as ClientsMessage),
      exited.then(([code]) => ({ type: 'error', message: `exited ${code}` }) as ClientsMessage),
    ]);
  const ready = await next();
  if (ready.type !== 'ready') {
    child.kill();
    throw new Error(`seed B clients: ${ready.type === 'error' ? ready.message : ready.type}`);
  }
  return {
    connectMs: ready.connectMs,
    async round(r: Omit<Extract<ClientsRequest, { type: 'round' }>, 'type'>): Promise<Done> {
      child.send({ type: 'round', ...r } satisfies ClientsRequest);
      const m = await next();
      if (m.type !== 'done') throw new Error(`seed B clients: ${JSON.stringify(m)}`);
      return m;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'stop' } satisfies ClientsRequest);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function seedBBench({ log }: BenchContext): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gl-bench-seed-b-'));
  const central = await startCentral(
    {
      dataDir: dir,
      http: { port: 0, host: '127.0.0.1' },
      mqtt: {
        mode: 'embedded',
        port: 0,
        host: '127.0.0.1',
        // Every client connects from 127.0.0.1.
        limits: { connectRate: { burst: CLIENTS + 100, perSecond: CLIENTS } },
      },
      log: { level: 'silent' },
      legacy: {
        seedB: {
          enabled: true,
          anonymous: true,
          servers: { [SERVER]: 'feira' },
          // The per-client bucket protects against one noisy client; a bench client asks back to
          // back, so its bucket is opened (the check itself still runs on every request).
          rate: { burst: 1_000, perSecond: 1_000 },
        },
      },
    } as CentralConfigInput,
    { logger: pino({ level: 'silent' }) },
  );
  let clients: Awaited<ReturnType<typeof spawnClients>> | undefined;
  try {
    const db = central.database.db;
    const admin = await mintToken(db, { role: 'admin' });
    const imported = await fetch(
      `${central.http.url}/api/v1/companies/feira/imports?format=feira&name=Feira&connector=ccs2:50000`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/csv; charset=utf-8' },
        body: readFileSync(FEIRA, 'utf8'),
      },
    );
    if (imported.status !== 200) throw new Error(`import: ${imported.status}`);

    // The list answer as the central gives it: the echo answers with the same postos.
    const probe = await mqtt.connectAsync(central.mqttUrl, {
      clientId: 'bench-probe',
      reconnectPeriod: 0,
    });
    await probe.subscribeAsync('client/bench-probe/postos/response', { qos: 1 });
    const answered = new Promise<Buffer>((resolve) =>
      probe.once('message', (_topic, payload) => resolve(payload)),
    );
    await probe.publishAsync(
      'server/postos/request',
      JSON.stringify({ request_id: 'probe', client_id: 'bench-probe', server_id: SERVER }),
      { qos: 1 },
    );
    const payload = await answered;
    const postos = JSON.stringify((JSON.parse(payload.toString()) as { postos: unknown[] }).postos);
    const stationIds = (JSON.parse(postos) as Array<{ id: number }>).map((p) => p.id);
    await probe.endAsync();
    log(`Feira network: ${stationIds.length} stations, list answer ${payload.length} bytes`);

    // The echo: in the broker, as the central's router subscribes (aedesLink).
    const aedes = central.broker?.aedes;
    if (!aedes) throw new Error('the bench needs the embedded broker');
    const reserveText = 'Nenhum ponto livre no posto EcoCharge Centro agora; próximo horário';
    const echo = (packet: { payload: Buffer | string }, done: () => void) => {
      done();
      const body = JSON.parse(packet.payload.toString()) as Record<string, unknown>;
      if (body.server_id !== ECHO) return;
      const id = JSON.stringify(body.request_id);
      const reserve = body.posto_id !== undefined;
      aedes.publish(
        {
          cmd: 'publish',
          topic: `client/${body.client_id}/postos/${reserve ? 'reserva/response' : 'response'}`,
          payload: Buffer.from(
            reserve
              ? `{"request_id":${id},"status":"erro","mensagem":${JSON.stringify(reserveText)}}`
              : `{"request_id":${id},"postos":${postos}}`,
          ),
          qos: 1,
          retain: false,
          dup: false,
        },
        () => undefined,
      );
    };
    for (const topic of ['server/postos/request', 'server/postos/reserva'])
      await new Promise<void>((resolve) => aedes.subscribe(topic, echo, resolve));

    clients = await spawnClients(central.mqttUrl);
    log(`${CLIENTS} station clients connected in ${round(clients.connectMs)} ms`);
    const c = clients;
    const responder = central.legacy.seedB;
    if (!responder) throw new Error('seed B is not running');
    /**
     * One round; then the central's queue is drained (requests whose client gave up are still
     * answered) so no round inherits another's backlog. A lost request counts at its time-out
     * in the percentiles (a lower bound), so losses cannot make the figures look better.
     */
    const run = async (kind: RoundKind, serverId: string, tag: string, requests: number) => {
      const giveUpMs = kind === 'list' ? LIST_GIVE_UP_MS : RESERVE_GIVE_UP_MS;
      const done = await c.round({ kind, serverId, requests, tag, giveUpMs, postoIds: stationIds });
      const t = performance.now();
      await responder.idle();
      const drainMs = performance.now() - t;
      if (drainMs > 100) log(`  ${tag}: the central drained its backlog in ${round(drainMs)} ms`);
      return { ...done, all: [...done.ms, ...Array<number>(done.lost).fill(giveUpMs)] };
    };

    // Warm-up (JIT, PGlite, aedes' per-client structures), one request per client each.
    await run('list', ECHO, 'warm-echo', 1);
    await run('list', SERVER, 'warm-b', 1);

    const list = { echo: [] as number[], seedB: [] as number[], lostEcho: 0, lostB: 0 };
    const sizes = { echo: 0, seedB: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      const e = await run('list', ECHO, `e${r}`, REQUESTS);
      const b = await run('list', SERVER, `b${r}`, REQUESTS);
      list.echo.push(...e.all);
      list.seedB.push(...b.all);
      list.lostEcho += e.lost;
      list.lostB += b.lost;
      sizes.echo = e.answerBytes;
      sizes.seedB = b.answerBytes;
      log(
        `round ${r + 1}: list p50/p99 seed B ${round(percentile(b.all, 50))}/${round(percentile(b.all, 99))} ms, echo ${round(percentile(e.all, 50))}/${round(percentile(e.all, 99))} ms; lost ${b.lost}/${e.lost}; answers ${JSON.stringify(b.answers)}`,
      );
    }
    log(`answer sizes: seed B ${sizes.seedB} bytes, echo ${sizes.echo} bytes`);

    const reserveEcho = await run('reserve', ECHO, 'rese', 1);
    const reserveB = await run('reserve', SERVER, 'resb', 1);
    log(
      `reserve p50/p99 seed B ${round(percentile(reserveB.all, 50))}/${round(percentile(reserveB.all, 99))} ms (${JSON.stringify(reserveB.answers)}, lost ${reserveB.lost}), echo ${round(percentile(reserveEcho.all, 50))}/${round(percentile(reserveEcho.all, 99))} ms (lost ${reserveEcho.lost})`,
    );
    log(`responder counts: ${JSON.stringify(responder.counts())}`);
    const booked = await sql<{ n: string | number }>`SELECT count(*) AS n FROM ev_reservations
      WHERE source = 'seed-b'`.execute(db);
    const overlaps = await sql<{ n: string | number }>`SELECT count(*) AS n FROM ev_reservations a
      JOIN ev_reservations b ON a.point_id = b.point_id AND a.id < b.id AND a.period && b.period
      WHERE a.state IN ('PENDING','RESERVED','FULFILLED') AND b.state IN ('PENDING','RESERVED','FULFILLED')`.execute(
      db,
    );
    if (Number(overlaps.rows[0]?.n) !== 0) throw new Error('overlapping bookings after the bench');
    // Every sucesso the central sent (answered in time or not) is one stored booking.
    if (Number(booked.rows[0]?.n) !== responder.counts().reserved)
      throw new Error(
        `${booked.rows[0]?.n} seed B bookings stored, ${responder.counts().reserved} answered sucesso`,
      );
    if (list.lostEcho + reserveEcho.lost > 0) log('WARNING: the echo lost requests');

    const pairs: Array<[string, number[], number[]]> = [
      ['list', list.seedB, list.echo],
      ['reserve', reserveB.all, reserveEcho.all],
    ];
    const figures: Figure[] = [];
    for (const [kind, b, e] of pairs)
      for (const p of [50, 99])
        figures.push({
          metric: `seed_b_${kind}_p${p}_c${CLIENTS}`,
          value: round(percentile(b, p), 2),
          unit: 'ms (lost at time-out)',
          baseline: round(percentile(e, p), 2),
        });
    figures.push(
      {
        metric: `seed_b_list_lost_c${CLIENTS}`,
        value: list.lostB,
        unit: `of ${ROUNDS * REQUESTS * CLIENTS} (5 s)`,
        baseline: list.lostEcho,
      },
      {
        metric: `seed_b_reserve_lost_c${CLIENTS}`,
        value: reserveB.lost,
        unit: `of ${CLIENTS} (10 s)`,
        baseline: reserveEcho.lost,
      },
    );
    return figures;
  } finally {
    await clients?.stop();
    await central.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `npm run bench -- legacy-seed-b` runs this half alone. */
const bench: Benchmark = seedBBench;
export default bench;
