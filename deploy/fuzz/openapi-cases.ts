import { mutateJson } from './json-mutations.js';
import type { Rng } from './rng.js';

/** The part of a JSON Schema (OpenAPI 3.1) the generator reads. */
export interface Schema {
  type?: string | string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
  example?: unknown;
  default?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

/** One operation of the document: its method, path template, inputs and documented answers. */
export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
  /** Documented status codes, e.g. `['200', '400', '404']`. */
  responses: string[];
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Parameter[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
        responses?: Record<string, unknown>;
      }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

/** Every operation in an OpenAPI document, `$ref`s of bodies resolved. */
export function operationsOf(doc: unknown): Operation[] {
  const d = doc as OpenApiDocument;
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(d.paths))
    for (const [method, op] of Object.entries(item)) {
      const body = op.requestBody?.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        ...(body ? { body: resolve(d, body) } : {}),
        responses: Object.keys(op.responses ?? {}),
      });
    }
  return ops;
}

function resolve(doc: OpenApiDocument, s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace('#/components/schemas/', '');
  return resolve(doc, doc.components?.schemas?.[name] ?? {});
}

/** Objects the suite created first, so that valid-looking requests reach real rows. */
export interface KnownIds {
  customerId: number;
  meterId: number;
  edgeId: string;
  invoiceId?: number;
}

/** A value meant for a URL: `text` is percent-encoded when sent, `raw` goes as written. */
type UrlValue = { text: string } | { raw: string };

/** Strings that have broken parsers, casts and SQL before. */
const HOSTILE: readonly UrlValue[] = [
  { text: '' },
  { text: ' ' },
  { text: '0' },
  { text: '-1' },
  { text: '1.5' },
  { text: '1e3' },
  { text: '0x10' },
  { text: '2147483647' },
  { text: '2147483648' },
  { text: '4294967296' },
  { text: '9223372036854775807' },
  { text: '9223372036854775808' },
  { text: '99999999999999999999999' },
  { text: 'NaN' },
  { text: 'Infinity' },
  { text: 'null' },
  { text: 'true' },
  { text: '[]' },
  { text: '{}' },
  { text: '\u0000' },
  { text: 'a\u0000b' },
  { text: 'é' },
  { text: '😀' },
  { raw: '%ED%A0%80' }, // a lone surrogate's bytes: not UTF-8
  { raw: '%FF%FE' },
  { raw: '%' },
  { raw: '%zz' },
  { raw: '%00' },
  { text: "' OR 1=1 --" },
  { text: '../../etc/passwd' },
  { raw: '..%2F..%2F' },
  { text: '/' },
  { text: 'x'.repeat(5000) },
  { text: '2024-13-45' },
  { text: '2024-02-30' },
  { text: '0000-00-00T00:00:00Z' },
  { text: '0001-01-01T00:00:00Z' },
  { text: '9999-12-31T23:59:59Z' },
  { text: '10000-01-01T00:00:00Z' },
  { text: '+275760-09-13T00:00:00.000Z' },
  { text: '-271821-04-20T00:00:00.000Z' },
  { text: '1970-01-01' },
  { text: '2024-03-10T25:61' },
  { text: 'T' },
  { text: 'Mars/Olympus_Mons' },
  { text: 'Etc/GMT+14' },
  { text: 'UTC' },
  { text: '+99:00' },
  { text: 'MTAw' },
  { text: 'eyJhIjoxfQ' },
  { text: '1|2|3' },
  { text: '1:2' },
];

/** Valid CPFs (check digits right). */
const CPFS = ['52998224725', '11144477735', '39053344705', '87748248800', '15350946056'];

const isoNear = (rng: Rng, nowMs: number) =>
  new Date(nowMs - rng.int(400) * 86_400_000).toISOString();

/** A value `schema` accepts, leaning on the ids that exist. Pure. */
export function sampleValue(
  rng: Rng,
  s: Schema,
  name: string,
  ids: KnownIds,
  nowMs: number,
): unknown {
  if (s.anyOf || s.oneOf)
    return sampleValue(rng, rng.pick((s.anyOf ?? s.oneOf) as Schema[]), name, ids, nowMs);
  if (s.enum) return rng.pick(s.enum);
  if (s.example !== undefined && rng.chance(0.2)) return s.example;
  const types = Array.isArray(s.type) ? s.type : [s.type ?? 'string'];
  const type =
    types.length > 1 && rng.chance(0.9)
      ? (types.find((t) => t !== 'null') ?? 'null')
      : rng.pick(types);
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return rng.chance(0.5);
    case 'integer':
    case 'number': {
      const lower = name.toLowerCase();
      if (lower.endsWith('id') || lower === 'id') {
        const known = lower.includes('customer')
          ? ids.customerId
          : lower.includes('invoice')
            ? ids.invoiceId
            : ids.meterId;
        if (known !== undefined && rng.chance(0.6)) return known;
      }
      const lo = s.minimum ?? 0;
      const hi = s.maximum ?? Math.max(lo, 1000);
      const v = rng.pick(
        [lo, hi, lo + rng.int(Math.min(hi - lo, 1000) + 1), s.default as number | undefined].filter(
          (x): x is number => typeof x === 'number',
        ),
      );
      return type === 'number' && rng.chance(0.3) ? v + 0.5 : v;
    }
    case 'array':
      return Array.from({ length: rng.int(3) }, () =>
        sampleValue(rng, s.items ?? {}, name, ids, nowMs),
      );
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {}))
        if (s.required?.includes(k) || rng.chance(0.4)) out[k] = sampleValue(rng, v, k, ids, nowMs);
      return out;
    }
    default:
      return sampleString(rng, s, name, ids, nowMs);
  }
}

function sampleString(rng: Rng, s: Schema, name: string, ids: KnownIds, nowMs: number): string {
  if (s.format === 'date-time') return isoNear(rng, nowMs);
  switch (s.pattern) {
    case '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$':
      return rng.pick([ids.edgeId, 'edge-x', 'm-1', 'a']);
    case '^\\d{4}-(0[1-9]|1[0-2])$':
      return `${rng.pick(['2025', '2026'])}-${String(rng.range(1, 12)).padStart(2, '0')}`;
    case '^[a-f0-9]{16}$':
      return Array.from({ length: 16 }, () => '0123456789abcdef'[rng.int(16)]).join('');
    case '^[1-9][0-9]{0,9}$':
      return String(rng.range(1, 1000));
    case '^\\d+(\\.\\d+)?$':
      return `${rng.int(1000)}.${rng.int(10)}`;
  }
  const lower = name.toLowerCase();
  if (lower === 'companyid' && rng.chance(0.7)) return 'feira';
  if (lower === 'plate' && rng.chance(0.7)) return 'ABC1D23';
  if (lower === 'document') return rng.pick(CPFS);
  if (lower.includes('timezone')) return rng.pick(['America/Bahia', 'America/Sao_Paulo', 'UTC']);
  if (lower.includes('password')) return 'correct-horse-battery';
  if (lower === 'from' || lower === 'to')
    return new Date(nowMs - rng.int(60) * 86_400_000).toISOString().slice(0, 10);
  const min = s.minLength ?? 1;
  const max = Math.min(s.maxLength ?? 40, 40);
  return 'x'.repeat(Math.max(min, rng.range(min, Math.max(min, max))));
}

export const HTTP_CLASSES = [
  'valid',
  'paramHostile',
  'paramMissing',
  'paramExtra',
  'paramRepeated',
  'bodyJson',
  'bodyRaw',
  'bodyContentType',
  'bodyHuge',
] as const;
export type HttpClass = (typeof HTTP_CLASSES)[number];

export interface HttpCase {
  operation: string;
  method: string;
  /** Path and query, encoded as sent. */
  url: string;
  body?: string;
  contentType?: string;
  kind: HttpClass;
}

const encode = (v: UrlValue) => ('raw' in v ? v.raw : encodeURIComponent(v.text));
const asUrl = (v: unknown): UrlValue => ({ text: typeof v === 'string' ? v : JSON.stringify(v) });

/**
 * One request for one of `ops`: valid inputs from the schemas, then one class of damage to a
 * parameter or the body. Pure.
 */
export function httpCase(
  rng: Rng,
  ops: readonly Operation[],
  ids: KnownIds,
  nowMs: number,
): HttpCase {
  const op = rng.pick(ops);
  const bodyClasses: HttpClass[] = op.body
    ? ['bodyJson', 'bodyRaw', 'bodyContentType', 'bodyHuge']
    : [];
  const paramClasses: HttpClass[] =
    op.parameters.length > 0 ? ['paramHostile', 'paramMissing', 'paramRepeated'] : [];
  const kind = rng.weighted<HttpClass>([
    ['valid', 2],
    ['paramExtra', 0.5],
    ...paramClasses.map((k): [HttpClass, number] => [k, k === 'paramHostile' ? 5 : 1]),
    ...bodyClasses.map((k): [HttpClass, number] => [
      k,
      k === 'bodyJson' ? 4 : k === 'bodyHuge' ? 0.2 : 1,
    ]),
  ]);
  const values = new Map<Parameter, UrlValue[]>();
  for (const p of op.parameters)
    if (p.required || rng.chance(0.5))
      values.set(p, [asUrl(sampleValue(rng, p.schema ?? {}, p.name, ids, nowMs))]);
  if (kind === 'paramHostile') {
    const p = rng.pick(op.parameters);
    values.set(p, [rng.pick(HOSTILE)]);
  } else if (kind === 'paramMissing') values.delete(rng.pick(op.parameters));
  else if (kind === 'paramRepeated') {
    const p = rng.pick(op.parameters);
    values.set(p, [
      ...(values.get(p) ?? []),
      rng.chance(0.5)
        ? rng.pick(HOSTILE)
        : asUrl(sampleValue(rng, p.schema ?? {}, p.name, ids, nowMs)),
    ]);
  }
  let path = op.path;
  const query: string[] = [];
  for (const p of op.parameters) {
    const vs = values.get(p);
    if (p.in === 'path') path = path.replace(`{${p.name}}`, vs?.[0] ? encode(vs[0]) : '');
    else if (p.in === 'query' && vs)
      for (const v of vs) query.push(`${encodeURIComponent(p.name)}=${encode(v)}`);
  }
  if (kind === 'paramExtra')
    query.push(
      `${rng.pick(['__proto__', 'constructor', 'x', 'limit[]', ''])}=${encode(rng.pick(HOSTILE))}`,
    );
  const url = query.length > 0 ? `${path}?${query.join('&')}` : path;
  const out: HttpCase = { operation: `${op.method} ${op.path}`, method: op.method, url, kind };
  if (!op.body) return out;
  const valid = sampleValue(rng, op.body, 'body', ids, nowMs);
  switch (kind) {
    case 'bodyJson':
      return { ...out, body: mutateJson(rng, valid).text, contentType: 'application/json' };
    case 'bodyRaw':
      return {
        ...out,
        body: rng.pick([
          '',
          ' ',
          'null',
          '[]',
          '"x"',
          '{',
          '{"a":1',
          '\u0000',
          '{"a":"\u0000"}',
          `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
          `${'{"a":'.repeat(70)}1${'}'.repeat(70)}`,
          '\ufeff{}',
        ]),
        contentType: 'application/json',
      };
    case 'bodyContentType':
      return {
        ...out,
        body: JSON.stringify(valid),
        contentType: rng.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
          '',
        ]),
      };
    case 'bodyHuge':
      return {
        ...out,
        body: JSON.stringify({ ...(valid as object), pad: 'x'.repeat(2 * 1024 * 1024) }),
        contentType: 'application/json',
      };
    default:
      return { ...out, body: JSON.stringify(valid), contentType: 'application/json' };
  }
}
