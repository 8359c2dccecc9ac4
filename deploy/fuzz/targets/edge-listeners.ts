import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type EdgeAgent, JsonObjectStream, startEdge } from '@gridlink/edge';
import {
  checkReading,
  DEFAULT_EDGE_WINDOW,
  errorCodes,
  type Reading,
  systemClock,
} from '@gridlink/shared';
import { Aedes } from 'aedes';
import { deadline } from '../deadline.js';
import { LogCapture } from '../log-capture.js';
import {
  type MeterIdentities,
  type TcpConnectionCase,
  tcpConnectionCase,
  udpCase,
} from '../meter-cases.js';
import { caseRng } from '../rng.js';
import { bump, Failures, type Tally } from '../tally.js';

export interface EdgeListenersFuzzOptions {
  seed: number;
  /** UDP datagrams and TCP connections together (every fourth case is a TCP connection). */
  cases: number;
  only?: number;
  progress?: (line: string) => void;
}

export interface EdgeListenersFuzzReport {
  seed: number;
  cases: number;
  udp: { datagrams: number; classes: Tally; replies: Tally };
  tcp: {
    connections: number;
    lines: number;
    classes: Tally;
    answers: Tally;
    closedByListener: number;
  };
  /** Readings the fuzzing meters got into the log (all of which passed the oracle). */
  logged: Tally;
  wellBehaved: { udp: number; tcp: number };
  counters: Record<string, Record<string, number>>;
  failures: Failures;
}

/** The edge's clock, fixed: every reading's window is judged at this instant, so runs replay. */
const NOW = Date.parse('2026-06-01T12:00:00Z');
const GOOD_SECRET = 'good-meter-secret-0123456789';
const FUZZ_SECRET = 'fuzz-meter-secret-0123456789';
const IDS: MeterIdentities = {
  udp: { open: 'fz-u', guarded: { meterId: 'fz-us', cpf: '52998224725', secret: FUZZ_SECRET } },
  tcp: { open: 2, guarded: { meterId: 3, secret: FUZZ_SECRET } },
  victims: { udp: 'GOOD-U', tcp: 1 },
};
const FUZZ_DEVICES = { udp: ['fz-udp', 'fz-udp-s'], tcp: ['fz-tcp', 'fz-tcp-s'] };
const ANSWER_DEADLINE_MS = 30_000;
/** A well-behaved meter reports after every this many cases. */
const GOOD_EVERY = 20;

const wallClock = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * Target 3: the edge agent's push listeners, with a real LevelDB log and the reading gate. UDP
 * datagrams one at a time (each must get exactly one answer: `200`, or `<status> <catalog
 * code>`), and TCP JSON connections of mutated lines (every answer a protocol answer, each line
 * answered or turned into a reading). Throughout, a well-behaved UDP meter and a well-behaved TCP
 * meter (on one long connection), both with secrets, keep delivering. At the end every reading
 * in the log passes `checkReading` against the edge's window at the edge's (fixed) clock, and
 * the fuzzing meters' readings in the log are exactly the ones the listeners accepted.
 */
export async function fuzzEdgeListeners(
  o: EdgeListenersFuzzOptions,
): Promise<EdgeListenersFuzzReport> {
  const progress = o.progress ?? (() => undefined);
  const failures = new Failures('--target edge', o.seed);
  const report: EdgeListenersFuzzReport = {
    seed: o.seed,
    cases: 0,
    udp: { datagrams: 0, classes: {}, replies: {} },
    tcp: { connections: 0, lines: 0, classes: {}, answers: {}, closedByListener: 0 },
    logged: {},
    wellBehaved: { udp: 0, tcp: 0 },
    counters: {},
    failures,
  };
  const dir = await mkdtemp(join(tmpdir(), 'gl-fuzz-edge-'));
  const broker = await startBareBroker();
  const capture = new LogCapture('warn');
  let agent: EdgeAgent | undefined;
  let udp: UdpSocket | undefined;
  let goodTcp: Socket | undefined;
  try {
    agent = await startEdge(
      {
        edgeId: 'fuzz-edge',
        dataDir: dir,
        mqtt: { url: broker.url, password: 'unused-by-this-broker' },
        // Nothing is acknowledged (the broker has no central behind it): the log keeps every
        // reading for the final check, and its bounds must not drop any.
        log: { sync: false, maxAgeDays: 1_000_000, maxBytes: 1024 * 1024 * 1024 },
        udp: { port: 0 },
        tcpJson: { port: 0 },
        // Unknown meters are refused, not held pending: every refusal is answered at once and
        // counted, which this target checks (pending devices: edge/test/provisioning.test.ts).
        provisioning: { enabled: false },
        // The cases' wall-clock times are UTC (meter-cases.ts wallClock).
        timeZone: 'UTC',
        devices: [
          { id: 'good-udp', driver: 'udp-meter', meterId: IDS.victims.udp, secret: GOOD_SECRET },
          { id: 'fz-udp', driver: 'udp-meter', meterId: IDS.udp.open },
          {
            id: 'fz-udp-s',
            driver: 'udp-meter',
            meterId: IDS.udp.guarded.meterId,
            cpf: IDS.udp.guarded.cpf,
            secret: FUZZ_SECRET,
          },
          {
            id: 'good-tcp',
            driver: 'tcp-json-meter',
            meterId: IDS.victims.tcp,
            secret: GOOD_SECRET,
          },
          { id: 'fz-tcp', driver: 'tcp-json-meter', meterId: IDS.tcp.open },
          {
            id: 'fz-tcp-s',
            driver: 'tcp-json-meter',
            meterId: IDS.tcp.guarded.meterId,
            secret: FUZZ_SECRET,
          },
        ],
      },
      { logger: capture.logger, clock: { ...systemClock, now: () => NOW } },
    );
    const edge = agent;
    const udpPort = listenerPort(edge, 'udp-meter');
    const tcpPort = listenerPort(edge, 'tcp-json-meter');
    const counters = (driver: string) =>
      edge.drivers.find((d) => d.name === driver)?.channels()[0]?.counters ?? {};
    /** Readings a listener accepted from these devices (each device's successful reports). */
    const acceptedFrom = (ids: string[]) =>
      edge
        .devices()
        .filter((d) => ids.includes(d.health.deviceId))
        .reduce((s, d) => s + d.health.polls, 0);

    // The fuzzer's UDP socket: one datagram out, one answer back, in order.
    const sock = createSocket('udp4');
    udp = sock;
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const ask = (datagram: Buffer) =>
      deadline(
        new Promise<string>((resolve) => {
          sock.once('message', (m) => resolve(m.toString('utf8')));
          sock.send(datagram, udpPort, '127.0.0.1');
        }),
        ANSWER_DEADLINE_MS,
        'a datagram got no answer',
      );

    // The well-behaved meters.
    const sentGood = { udp: [] as number[], tcp: [] as number[] };
    const good = await connectLines(tcpPort);
    goodTcp = good.socket;
    let goodClosed = false;
    good.socket.once('close', () => {
      goodClosed = true;
    });
    good.send(JSON.stringify({ id: IDS.victims.tcp, secret: GOOD_SECRET }));
    const helloAnswer = await deadline(good.next(), ANSWER_DEADLINE_MS, 'no answer to hello');
    if (helloAnswer !== JSON.stringify({ id: IDS.victims.tcp }))
      failures.add(`the well-behaved TCP meter's hello was answered ${helloAnswer}`);
    let goodK = 0;
    const goodReport = async (index: number) => {
      goodK++;
      const value = 1000 + goodK / 100;
      const answer = await ask(
        Buffer.from(
          JSON.stringify({
            meterId: IDS.victims.udp,
            value,
            timestamp: Math.floor(NOW / 1000) - goodK,
            secret: GOOD_SECRET,
          }),
        ),
      ).catch((e: Error) => e.message);
      if (answer === '200') sentGood.udp.push(value);
      else failures.add(`the well-behaved UDP meter was answered ${answer}`, index);
      if (goodClosed) return;
      const consumption = 5000 + goodK / 10;
      good.send(
        JSON.stringify({
          id: IDS.victims.tcp,
          consumption,
          datetime: wallClock(NOW - goodK * 1000),
          type: '/spent',
        }),
      );
      sentGood.tcp.push(consumption);
    };

    const accepted = { udp: 0, tcp: 0 };
    const indices = o.only === undefined ? Array.from({ length: o.cases }, (_, i) => i) : [o.only];
    for (const index of indices) {
      report.cases++;
      const rng = caseRng(o.seed, index);
      if (index % 4 === 3) {
        const c = tcpConnectionCase(rng, IDS, NOW);
        const before = acceptedFrom(FUZZ_DEVICES.tcp);
        const out = await runTcpCase(tcpPort, c);
        report.tcp.connections++;
        report.tcp.lines += out.lines;
        for (const l of c.lines) bump(report.tcp.classes, l.kind);
        for (const [k, n] of Object.entries(out.answers)) bump(report.tcp.answers, k, n);
        if (out.fatal) report.tcp.closedByListener++;
        for (const bad of out.unexpected) failures.add(`TCP answer ${bad}`, index);
        const acceptedHere = acceptedFrom(FUZZ_DEVICES.tcp) - before;
        accepted.tcp += acceptedHere;
        const answered = Object.values(out.answers).reduce((s, n) => s + n, 0);
        // Every line was answered or became a reading (unless the listener closed the connection).
        if (!out.fatal && answered + acceptedHere !== out.lines)
          failures.add(
            `${out.lines} lines, ${answered} answers, ${acceptedHere} readings accepted`,
            index,
          );
      } else {
        const c = udpCase(rng, IDS, NOW);
        report.udp.datagrams++;
        bump(report.udp.classes, c.kind);
        const answer = await ask(c.datagram).catch((e: Error) => e.message);
        const code = /^(\d{3}) (GL_[A-Z_]+)$/.exec(answer);
        bump(report.udp.replies, answer === '200' ? '200' : (code?.[2] ?? answer.slice(0, 40)));
        if (answer === '200') accepted.udp++;
        else if (!code || code[1] === '500' || !errorCodes.includes(code[2] as never))
          failures.add(
            `datagram ${JSON.stringify(c.datagram.toString('latin1').slice(0, 200))} answered ${answer}`,
            index,
          );
        if (answer === '200' && c.kind === 'impersonate')
          failures.add(
            'a datagram naming the well-behaved meter without its secret was accepted',
            index,
          );
      }
      if (report.cases % GOOD_EVERY === 0) await goodReport(index);
      if (report.cases % 1000 === 0) progress(`edge listeners: ${report.cases} cases`);
    }
    // One more report each, after everything: the meters are still served.
    await goodReport(o.only ?? o.cases);
    // A line every listener answers (GL_PAYLOAD_SCHEMA): any answer before it refused a good line.
    good.send(JSON.stringify({ probe: true }));
    for (;;) {
      const answer = await deadline(
        good.next(),
        ANSWER_DEADLINE_MS,
        'the well-behaved TCP meter got no answer',
      ).catch((e: Error) => e.message);
      if (answer.includes('GL_PAYLOAD_SCHEMA')) break;
      failures.add(`the well-behaved TCP meter was answered ${answer}`);
      if (goodClosed) break;
    }
    if (goodClosed) failures.add('the well-behaved TCP meter lost its connection');

    // The log: every reading valid at the edge's clock; the fuzzers' exactly what was accepted.
    await edge.flush();
    const { lastSeq, dropped } = edge.log.stats();
    if (dropped > 0) failures.add(`the log dropped ${dropped} readings: the check cannot see them`);
    const log: Reading[] = await edge.log.read(1, lastSeq + 1);
    for (const r of log) {
      bump(report.logged, r.deviceId);
      const v = checkReading(r, DEFAULT_EDGE_WINDOW, NOW);
      if (!v.ok)
        failures.add(
          `log holds an invalid reading (${v.reason}: ${v.message}): ${JSON.stringify(r)}`,
        );
    }
    const n = (ids: string[]) => ids.reduce((s, id) => s + (report.logged[id] ?? 0), 0);
    if (n(FUZZ_DEVICES.udp) !== accepted.udp)
      failures.add(`${accepted.udp} datagrams answered 200, ${n(FUZZ_DEVICES.udp)} in the log`);
    if (n(FUZZ_DEVICES.tcp) !== accepted.tcp)
      failures.add(`${accepted.tcp} TCP readings accepted, ${n(FUZZ_DEVICES.tcp)} in the log`);
    const values = (id: string, name: string) =>
      log.filter((r) => r.deviceId === id).map((r) => r.values[name]);
    const gotUdp = values('good-udp', 'energy_interval');
    const gotTcp = values('good-tcp', 'energy_import');
    report.wellBehaved = { udp: gotUdp.length, tcp: gotTcp.length };
    if (JSON.stringify(gotUdp) !== JSON.stringify(sentGood.udp))
      failures.add(
        `the well-behaved UDP meter sent ${sentGood.udp.length} readings, the log has ${gotUdp.length}`,
      );
    if (JSON.stringify(gotTcp) !== JSON.stringify(sentGood.tcp))
      failures.add(
        `the well-behaved TCP meter sent ${sentGood.tcp.length} readings, the log has ${gotTcp.length}`,
      );

    // Refusals are counted: the listener's counters add up to what it answered.
    report.counters = { udp: counters('udp-meter'), tcp: counters('tcp-json-meter') };
    const u = report.counters.udp ?? {};
    const refusedUdp = report.udp.datagrams - accepted.udp;
    const countedUdp =
      (u.malformed ?? 0) +
      (u.unknown_senders ?? 0) +
      (u.too_large ?? 0) +
      (u.auth_failed ?? 0) +
      (u.invalid_readings ?? 0);
    if (countedUdp !== refusedUdp)
      failures.add(`${refusedUdp} datagrams refused, the listener counted ${countedUdp}`);
    for (const line of capture.errors)
      failures.add(
        `the agent logged an error: ${line.code}: ${line.msg} ${line.err?.message ?? ''}`,
      );
    return report;
  } finally {
    goodTcp?.destroy();
    udp?.close();
    await agent?.close().catch(() => undefined);
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface TcpOutcome {
  /** Lines written, as the listener frames them. */
  lines: number;
  /** Answers by kind: `id`, or the error code. */
  answers: Tally;
  /** Answers that are not protocol answers (or carry GL_INTERNAL / an unknown code). */
  unexpected: string[];
  /** The listener refused the connection with a fatal code and closed it. */
  fatal: boolean;
}

const FATAL = new Set(['GL_METER_TAKEN', 'GL_METER_AUTH_FAILED', 'GL_CONNECTION_LIMIT']);

/**
 * Writes a connection's lines, ends its side, and reads every answer until the listener closes.
 * A squatted case first binds its meter id on another connection, which must keep it.
 */
async function runTcpCase(port: number, c: TcpConnectionCase): Promise<TcpOutcome> {
  const out: TcpOutcome = { lines: 0, answers: {}, unexpected: [], fatal: false };
  const squatter = c.squatted ? await connectLines(port) : undefined;
  if (squatter) {
    squatter.send(JSON.stringify({ id: c.meterId, ...(c.secret ? { secret: c.secret } : {}) }));
    const bound = await deadline(squatter.next(), ANSWER_DEADLINE_MS, 'no answer to hello').catch(
      (e: Error) => e.message,
    );
    if (bound !== JSON.stringify({ id: c.meterId }))
      out.unexpected.push(`squatter's hello: ${bound}`);
  }
  try {
    return await exchange(port, c, out);
  } finally {
    if (squatter) {
      // The squatter still holds its id: a hello for it is answered as its own.
      squatter.send(JSON.stringify({ id: c.meterId }));
      const still = await deadline(squatter.next(), ANSWER_DEADLINE_MS, 'no answer to hello').catch(
        (e: Error) => e.message,
      );
      if (still !== JSON.stringify({ id: c.meterId }))
        out.unexpected.push(`the squatter lost its meter id: ${still}`);
      squatter.socket.end();
      await untilClosed(squatter).catch((e: Error) => out.unexpected.push(e.message));
    }
  }
}

async function exchange(port: number, c: TcpConnectionCase, out: TcpOutcome): Promise<TcpOutcome> {
  const conn = await connectLines(port);
  const bytes = Buffer.concat(c.lines.map((l) => l.bytes));
  out.lines = framedUnits(bytes);
  conn.socket.end(bytes);
  for (;;) {
    const line = await deadline(
      conn.nextOrEnd(),
      ANSWER_DEADLINE_MS,
      'the listener neither answered nor closed',
    ).catch((e: Error) => {
      out.unexpected.push(e.message);
      conn.socket.destroy();
      return undefined;
    });
    if (line === undefined) break;
    let answer: { id?: unknown; error?: { code?: unknown; message?: unknown } };
    try {
      answer = JSON.parse(line);
    } catch {
      out.unexpected.push(line.slice(0, 200));
      continue;
    }
    if (typeof answer.id === 'number') bump(out.answers, 'id');
    else if (typeof answer.error?.code === 'string' && typeof answer.error.message === 'string') {
      const code = answer.error.code;
      bump(out.answers, code);
      if (FATAL.has(code)) out.fatal = true;
      if (code === 'GL_INTERNAL' || !errorCodes.includes(code as never))
        out.unexpected.push(line.slice(0, 200));
    } else out.unexpected.push(line.slice(0, 200));
  }
  return out;
}

/**
 * What the listener frames a connection's bytes into (SEEDS E: bare JSON objects, with or without
 * newlines): each complete object, garbage run or oversize object is one unit it must answer or
 * turn into a reading; an object still open when the connection ends is none. The edge's own
 * reader, at the listener's default `maxBytes`.
 */
function framedUnits(bytes: Buffer): number {
  let units = 0;
  new JsonObjectStream(1024).push(bytes, () => units++);
  return units;
}

/** Reads what is left until the listener has closed the connection. */
async function untilClosed(conn: Awaited<ReturnType<typeof connectLines>>): Promise<void> {
  for (;;) {
    const line = await deadline(
      conn.nextOrEnd(),
      ANSWER_DEADLINE_MS,
      'the connection was not closed',
    );
    if (line === undefined) return;
  }
}

/** A TCP connection read line by line. */
async function connectLines(port: number) {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const queue: string[] = [];
  const waiting: Array<(l: string | undefined) => void> = [];
  let ended = false;
  const lines = createInterface({ input: socket, crlfDelay: Infinity });
  lines.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  lines.on('close', () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  /** The next line, or undefined once the connection has ended and every line was taken. */
  const take = () =>
    new Promise<string | undefined>((resolve) => {
      if (queue.length > 0) resolve(queue.shift());
      else if (ended) resolve(undefined);
      else waiting.push(resolve);
    });
  return {
    socket,
    send: (line: string) => socket.write(`${line}\n`),
    /** The next answer line (the connection must stay open). */
    next: async () => (await take()) ?? 'the connection closed',
    /** The next answer line, or undefined once the listener closed the connection. */
    nextOrEnd: take,
  };
}

function listenerPort(agent: EdgeAgent, driver: string): number {
  const d = agent.drivers.find((x) => x.name === driver) as unknown as
    | { port(): number }
    | undefined;
  if (!d) throw new Error(`no ${driver} driver`);
  return d.port();
}

/** An aedes broker that lets anyone in: the edge's uplink needs somewhere to connect. */
async function startBareBroker(): Promise<{ url: string; close(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => aedes.close(() => server.close(() => r()))),
  };
}
