import type { Rng } from './rng.js';

/**
 * JSON-level damage to a valid document. Tree mutations pick a node anywhere in the document
 * (so in a telemetry batch mostly inside a reading, leaving the envelope valid); text mutations
 * work on the serialized text, where JSON.stringify cannot go (NaN, duplicate keys, depth).
 */
export const JSON_MUTATIONS = [
  'wrongType',
  'hugeNumber',
  'numberText',
  'nanText',
  'missingKey',
  'extraKey',
  'emptyContainer',
  'longString',
  'unicode',
  'duplicateKey',
  'deepNesting',
  'truncate',
] as const;
export type JsonMutation = (typeof JSON_MUTATIONS)[number];

export interface MutatedJson {
  text: string;
  kinds: JsonMutation[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };

/** A place in the tree: `parent[key]`, or the root itself (no parent). */
interface Site {
  parent?: Container;
  key: string | number;
  value: Json;
}

const DEEP = '\u0001deep\u0001';

const HUGE_NUMBERS = [
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53) - 2,
  2 ** 63,
  -(2 ** 63),
  1e21,
  1e-7,
  0.1 + 0.2,
  -1,
  0,
  1.5,
];

/** Numerals JSON allows that parse to surprising doubles, and some JSON does not allow. */
const NUMBER_TEXTS = [
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '-0.0',
  '1E2',
  '1e+2',
  '123456789012345678901234567890',
  '9007199254740993',
  '0.1000000000000000055511151231257827',
  '4.9e-324',
  '01',
  '+1',
  '.5',
  '1.',
  '0x10',
  '1_000',
  '--1',
];

const NAN_TEXTS = [
  'NaN',
  '-NaN',
  'Infinity',
  '-Infinity',
  '"NaN"',
  '"Infinity"',
  'nan',
  'inf',
  'undefined',
  'null',
];

const ODD_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  ' ',
  'é',
  '😀',
  'a\u0000b',
  'A',
  'x'.repeat(300),
  'extra',
];

const UNICODE = [
  'é',
  '😀',
  '\u0000',
  'a\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\ufeff',
  '\u200b',
  '\u001f',
  'Ω'.repeat(100),
  '\\',
  '"',
  '\n',
];

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function sites(root: Json): Site[] {
  const out: Site[] = [{ key: '', value: root }];
  const walk = (v: Json) => {
    if (Array.isArray(v))
      v.forEach((child, i) => {
        out.push({ parent: v, key: i, value: child });
        walk(child);
      });
    else if (v !== null && typeof v === 'object')
      for (const [k, child] of Object.entries(v)) {
        out.push({ parent: v, key: k, value: child });
        walk(child);
      }
  };
  walk(root);
  return out;
}

/** An own property even for `__proto__`, so JSON.stringify writes it. */
function setKey(obj: { [key: string]: Json }, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function put(root: { doc: Json }, site: Site, value: Json): void {
  if (!site.parent) root.doc = value;
  else if (Array.isArray(site.parent)) site.parent[site.key as number] = value;
  else setKey(site.parent, String(site.key), value);
}

function otherType(rng: Rng, v: Json): Json {
  const candidates: Json[] = ['x', '', '1', true, false, null, [], {}, 0, -1, [1], { a: 1 }];
  const differs = candidates.filter(
    (c) =>
      typeof c !== typeof v ||
      Array.isArray(c) !== Array.isArray(v) ||
      (c === null) !== (v === null),
  );
  return rng.pick(differs);
}

function pickWhere(rng: Rng, all: Site[], pred: (s: Site) => boolean): Site {
  const fit = all.filter(pred);
  return fit.length > 0 ? rng.pick(fit) : rng.pick(all);
}

/** Replaces one match of `pattern` (global) in `text` with `by`; the text unchanged if none. */
function replaceOne(
  rng: Rng,
  text: string,
  pattern: RegExp,
  by: (m: RegExpExecArray) => string,
): string {
  const matches = [...text.matchAll(pattern)];
  if (matches.length === 0) return text;
  const m = rng.pick(matches) as RegExpExecArray;
  return text.slice(0, m.index) + by(m) + text.slice(m.index + m[0].length);
}

const NUMBER_TOKEN = /(?<=[:,[])-?\d+(\.\d+)?([eE][+-]?\d+)?(?=[,\]}])/g;
const KEY_TOKEN = /"((?:[^"\\]|\\.)*)":/g;

/**
 * Applies `count` mutations (default 1-3) to a copy of `value` and serializes it. Pure: the same
 * rng state gives the same text. `kinds` lists what was done, in order.
 */
export function mutateJson(rng: Rng, value: unknown, count = rng.range(1, 3)): MutatedJson {
  const root = { doc: clone(value) as Json };
  const kinds: JsonMutation[] = [];
  const textOps: Array<(text: string) => string> = [];
  let deep: string | undefined;
  for (let n = 0; n < count; n++) {
    const kind = rng.pick(JSON_MUTATIONS);
    kinds.push(kind);
    const all = sites(root.doc);
    switch (kind) {
      case 'wrongType': {
        const s = rng.pick(all);
        put(root, s, otherType(rng, s.value));
        break;
      }
      case 'hugeNumber':
        put(
          root,
          pickWhere(rng, all, (s) => typeof s.value === 'number'),
          rng.pick(HUGE_NUMBERS),
        );
        break;
      case 'missingKey': {
        const s = pickWhere(rng, all, (s) => !!s.parent && !Array.isArray(s.parent));
        if (s.parent && !Array.isArray(s.parent)) delete s.parent[String(s.key)];
        else if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
        break;
      }
      case 'extraKey': {
        const s = pickWhere(
          rng,
          all,
          (s) => s.value !== null && typeof s.value === 'object' && !Array.isArray(s.value),
        );
        if (s.value !== null && typeof s.value === 'object' && !Array.isArray(s.value))
          setKey(s.value, rng.pick(ODD_KEYS), rng.pick<Json>([1, 'x', null, {}, [], true]));
        else put(root, s, { [rng.pick(ODD_KEYS)]: 1 });
        break;
      }
      case 'emptyContainer':
        put(root, rng.pick(all), rng.pick<Json>([[], {}, '', null]));
        break;
      case 'longString':
        put(
          root,
          pickWhere(rng, all, (s) => typeof s.value === 'string'),
          'x'.repeat(rng.size(200_000)),
        );
        break;
      case 'unicode': {
        const s = pickWhere(rng, all, (s) => typeof s.value === 'string');
        const u = rng.pick(UNICODE);
        if (typeof s.value === 'string' && rng.chance(0.5)) {
          const at = rng.int(s.value.length + 1);
          put(root, s, s.value.slice(0, at) + u + s.value.slice(at));
        } else put(root, s, u);
        break;
      }
      case 'deepNesting': {
        const depth = rng.size(100_000);
        const open = rng.chance(0.5) ? '[' : '{"a":';
        const close = open === '[' ? ']' : '}';
        deep = `${open.repeat(depth)}1${close.repeat(depth)}`;
        put(root, rng.pick(all), DEEP);
        break;
      }
      case 'numberText':
        textOps.push((t) => replaceOne(rng, t, NUMBER_TOKEN, () => rng.pick(NUMBER_TEXTS)));
        break;
      case 'nanText':
        textOps.push((t) => replaceOne(rng, t, NUMBER_TOKEN, () => rng.pick(NAN_TEXTS)));
        break;
      case 'duplicateKey':
        // `"k":<other>,"k":<original>`: JSON.parse keeps the last, a lax reader may keep the first.
        textOps.push((t) =>
          replaceOne(
            rng,
            t,
            KEY_TOKEN,
            (m) => `${m[0]}${JSON.stringify(otherType(rng, null))},${m[0]}`,
          ),
        );
        break;
      case 'truncate':
        textOps.push((t) => t.slice(0, rng.int(Math.max(1, t.length))));
        break;
    }
  }
  let text = JSON.stringify(root.doc);
  if (deep !== undefined) text = text.replace(JSON.stringify(DEEP), deep);
  for (const op of textOps) text = op(text);
  return { text, kinds };
}
