import { mutateBytes } from './byte-mutations.js';
import { mutateJson } from './json-mutations.js';
import type { Rng } from './rng.js';

/**
 * Inputs for the edge's push listeners: UDP datagrams (SEEDS D: JSON or the CSV
 * `cpf,meter_id,value,timestamp[,secret]`) and TCP JSON lines (SEEDS E: a hello, then `/spent`
 * readings). Each starts as a valid message of one of the fuzzer's own meters, then is damaged.
 */
export interface MeterIdentities {
  /** A UDP meter without a secret, and one with a CPF and a secret the fuzzer knows. */
  udp: { open: string; guarded: { meterId: string; cpf: string; secret: string } };
  /** TCP JSON meter ids: one without a secret, one with a secret the fuzzer knows. */
  tcp: { open: number; guarded: { meterId: number; secret: string } };
  /** The well-behaved meters' ids: impersonating them (no secret) must fail. */
  victims: { udp: string; tcp: number };
}

export const UDP_CLASSES = [
  'valid',
  'json',
  'csv',
  'time',
  'bytes',
  'oversize',
  'impersonate',
] as const;
export type UdpClass = (typeof UDP_CLASSES)[number];

export const TCP_LINE_CLASSES = [
  'valid',
  'json',
  'time',
  'bytes',
  'oversize',
  'framing',
  'impersonate',
] as const;
export type TcpLineClass = (typeof TCP_LINE_CLASSES)[number];

/** Times meters send, and times no meter should: outside the window, impossible, not a time. */
function oddTime(rng: Rng, nowMs: number): string | number {
  return rng.pick<string | number>([
    0,
    -1,
    1,
    1e10,
    1e15,
    8.64e15,
    253_402_300_800,
    99_999_999_999_999,
    Math.floor(nowMs / 1000) + 3600,
    nowMs + 301_000,
    1.5,
    '0',
    '946684799',
    '0000-00-00 00:00:00',
    '0001-01-01 00:00:00',
    '1999-12-31 23:59:59',
    '9999-12-31 23:59:59',
    '2026-02-29 00:00:00',
    '2024-02-29 24:00:00',
    '2024-13-01 00:00:00',
    '2024-05-01T10:00:00+99:00',
    '2024-05-01T10:00:00Z',
    '+275760-09-13T00:00:00Z',
    '2024-05-01 10:00:00.9999',
    'now',
    '',
    '1e10',
  ]);
}

const wallClock = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/** A time a real meter would send for "just now", in one of the accepted forms. */
function goodTime(rng: Rng, nowMs: number): string | number {
  const t = nowMs - rng.int(3_600_000);
  return rng.pick<string | number>([
    Math.floor(t / 1000),
    t,
    String(Math.floor(t / 1000)),
    wallClock(t),
    new Date(t).toISOString(),
  ]);
}

const reading = (rng: Rng) => Math.round(rng.float() * 1e6) / 100;

export interface UdpCase {
  datagram: Buffer;
  kind: UdpClass;
}

/** The largest UDP payload over IPv4 (65,535 − 8 UDP − 20 IP header bytes). */
export const MAX_DATAGRAM = 65_507;

/** One datagram of a fuzzing UDP meter, at most MAX_DATAGRAM bytes (longer ones are cut). Pure. */
export function udpCase(rng: Rng, ids: MeterIdentities, nowMs: number): UdpCase {
  const c = udpCaseOfAnySize(rng, ids, nowMs);
  return c.datagram.length > MAX_DATAGRAM
    ? { ...c, datagram: c.datagram.subarray(0, MAX_DATAGRAM) }
    : c;
}

function udpCaseOfAnySize(rng: Rng, ids: MeterIdentities, nowMs: number): UdpCase {
  const guarded = rng.chance(0.3);
  const meterId = guarded ? ids.udp.guarded.meterId : ids.udp.open;
  const extra = guarded ? { cpf: ids.udp.guarded.cpf, secret: ids.udp.guarded.secret } : {};
  const json = { meterId, value: reading(rng), timestamp: goodTime(rng, nowMs), ...extra };
  const csv = () =>
    [
      guarded ? ids.udp.guarded.cpf : '52998224725',
      meterId,
      String(json.value),
      wallClock(nowMs - rng.int(3_600_000)),
      ...(guarded ? [ids.udp.guarded.secret] : []),
    ].join(',');
  const kind = rng.weighted<UdpClass>([
    ['valid', 1],
    ['json', 4],
    ['csv', 2],
    ['time', 2],
    ['bytes', 1.5],
    ['oversize', 0.3],
    ['impersonate', 0.5],
  ]);
  const text = (s: string) => ({ datagram: Buffer.from(s), kind });
  switch (kind) {
    case 'valid':
      return text(rng.chance(0.6) ? JSON.stringify(json) : csv());
    case 'json':
      return text(mutateJson(rng, json).text);
    case 'csv': {
      const fields = csv().split(',');
      const i = rng.int(fields.length + 1);
      const odd = rng.pick([
        '',
        ' ',
        '1e400',
        '-0',
        'NaN',
        '1.',
        '.5',
        '99999999999999999999999',
        'é',
        '\u0000',
        ',',
        '"',
        'x'.repeat(300),
      ]);
      const edit = rng.pick(['insert', 'remove', 'replace', 'replace'] as const);
      if (edit === 'insert') fields.splice(i, 0, odd);
      else if (edit === 'remove') fields.splice(i, 1);
      else fields[Math.min(i, fields.length - 1)] = odd;
      return text(fields.join(rng.chance(0.9) ? ',' : ';'));
    }
    case 'time':
      return text(
        rng.chance(0.6)
          ? JSON.stringify({ ...json, timestamp: oddTime(rng, nowMs) })
          : csv().replace(/,\d{4}-[^,]*/, `,${oddTime(rng, nowMs)}`),
      );
    case 'bytes': {
      const base = Buffer.from(rng.chance(0.5) ? JSON.stringify(json) : csv());
      return {
        datagram: mutateBytes(
          rng,
          base,
          Buffer.from(csv()),
          rng.pick(['bitFlip', 'byteSet', 'truncate', 'concat', 'randomBytes'] as const),
        ).bytes,
        kind,
      };
    }
    case 'oversize':
      return text(JSON.stringify({ ...json, pad: 'x'.repeat(rng.range(1024, 4096)) }));
    case 'impersonate':
      return text(
        rng.chance(0.5)
          ? JSON.stringify({
              ...json,
              meterId: ids.victims.udp,
              secret: rng.pick([undefined, '', 'x'.repeat(16), ids.udp.guarded.secret]),
            })
          : `52998224725,${ids.victims.udp},${json.value},${wallClock(nowMs)}`,
      );
  }
}

export interface TcpLine {
  /** The bytes written: one or more newline-terminated lines (framing cases may add more). */
  bytes: Buffer;
  kind: TcpLineClass;
}

export interface TcpConnectionCase {
  /** The fuzzing meter this connection speaks for, and its secret (if it has one). */
  meterId: number;
  secret?: string;
  /**
   * Another connection holds the meter id first (a squatter bound with the right secret): the
   * case's binding line must be refused with GL_METER_TAKEN and the squatter keep its id.
   */
  squatted: boolean;
  lines: TcpLine[];
}

/** One connection of a fuzzing TCP JSON meter: usually a hello, then readings. Pure. */
export function tcpConnectionCase(
  rng: Rng,
  ids: MeterIdentities,
  nowMs: number,
): TcpConnectionCase {
  const guarded = rng.chance(0.3);
  const meterId = guarded ? ids.tcp.guarded.meterId : ids.tcp.open;
  const secret = guarded ? { secret: ids.tcp.guarded.secret } : {};
  const hello = () => (rng.chance(0.8) ? { id: meterId, ...secret } : { id: 0, ...secret });
  const spent = () => ({
    id: meterId,
    consumption: reading(rng),
    datetime: wallClock(nowMs - rng.int(3_600_000)),
    type: '/spent',
    ...(rng.chance(0.3) ? secret : {}),
  });
  const messages: unknown[] = [
    ...(rng.chance(0.8) ? [hello()] : []),
    ...Array.from({ length: rng.range(1, 20) }, spent),
  ];
  const lines = messages.map((m) => tcpLine(rng, m, ids, nowMs, spent));
  return {
    meterId,
    ...(guarded ? { secret: ids.tcp.guarded.secret } : {}),
    squatted: rng.chance(0.05),
    lines,
  };
}

/** One line of a TCP JSON meter connection, valid or damaged by one class. */
function tcpLine(
  rng: Rng,
  m: unknown,
  ids: MeterIdentities,
  nowMs: number,
  spent: () => object,
): TcpLine {
  const kind = rng.weighted<TcpLineClass>([
    ['valid', 6],
    ['json', 2],
    ['time', 1],
    ['bytes', 0.6],
    ['oversize', 0.2],
    ['framing', 0.5],
    ['impersonate', 0.3],
  ]);
  const line = (s: string | Buffer) => ({
    bytes: Buffer.concat([Buffer.from(s), Buffer.from('\n')]),
    kind,
  });
  const text = JSON.stringify(m);
  switch (kind) {
    case 'valid':
      return line(text);
    case 'json':
      // JSON.stringify escapes control characters, so a mutation never splits the line.
      return line(mutateJson(rng, m).text);
    case 'time':
      return line(JSON.stringify({ ...(m as object), datetime: oddTime(rng, nowMs) }));
    case 'bytes':
      return line(
        mutateBytes(
          rng,
          Buffer.from(text),
          Buffer.from(JSON.stringify(spent())),
          rng.pick(['bitFlip', 'byteSet', 'truncate', 'concat', 'randomBytes'] as const),
        ).bytes,
      );
    case 'oversize':
      return line(JSON.stringify({ ...(m as object), pad: 'x'.repeat(rng.range(1024, 70_000)) }));
    case 'framing':
      return {
        bytes: Buffer.from(
          rng.pick([
            `${text}\r\n`,
            `\n\n${text}\n`,
            `${text.slice(0, 10)}\n${text.slice(10)}\n`,
            `${text}${text}\n`,
            '\r\n',
            ' \t \n',
            `${text}\n${text}\n`,
          ]),
        ),
        kind,
      };
    case 'impersonate':
      return line(
        JSON.stringify(
          rng.chance(0.5)
            ? { id: ids.victims.tcp, ...(rng.chance(0.5) ? { secret: 'x'.repeat(16) } : {}) }
            : { ...(spent() as object), id: ids.victims.tcp },
        ),
      );
  }
}

/**
 * The lines a listener reads from `bytes` under the protocol's framing: split at `\n`, a trailing
 * `\r` dropped, blank lines ignored (each one the listener must either answer or turn into a
 * reading).
 */
export function framedLines(bytes: Buffer): number {
  return bytes
    .toString('utf8')
    .split('\n')
    .slice(0, -1)
    .filter((l) => l.replace(/\r$/, '').trim() !== '').length;
}
