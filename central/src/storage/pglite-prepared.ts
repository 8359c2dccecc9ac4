import type { PGlite } from '@electric-sql/pglite';

/**
 * Prepared statements on the PGlite thread (prepared.ts). PGlite's `query` makes six calls into
 * PostgreSQL per statement (Parse, Describe, Bind, Describe, Execute, Sync: it needs the
 * parameters' types before it can serialize them), and PostgreSQL parses and plans the text each
 * time. A marked statement is parsed once under a name, its parameter and row types kept here;
 * each run is then one call: Bind, Execute, Sync. Values are serialized and rows parsed by the
 * instance's own serializers and parsers, so the rows are those `query` would return.
 */
export class PGlitePrepared {
  readonly #pglite: PGlite;
  /** By statement text: a name reused with another text is another statement. */
  readonly #statements = new Map<string, Statement>();

  constructor(pglite: PGlite) {
    this.#pglite = pglite;
  }

  /** Runs like `query`: after any open transaction ends, and no other statement meanwhile. */
  run(text: string, params: unknown[]): Promise<{ rows: unknown[]; affectedRows: number }> {
    const pglite = this.#pglite;
    return pglite._runExclusiveTransaction(() =>
      pglite.runExclusive(async () => this.#execute(await this.#prepare(text), params)),
    );
  }

  async #prepare(text: string): Promise<Statement> {
    const known = this.#statements.get(text);
    if (known) return known;
    const name = `gl_prepared_${this.#statements.size + 1}`;
    const { messages } = await this.#pglite.execProtocol(
      concat([parse(name, text), describeStatement(name), SYNC]),
      { syncToFs: false },
    );
    const statement: Statement = { name, paramTypes: [], fields: [] };
    for (const m of messages as unknown as BackendMessage[]) {
      if (m.name === 'parameterDescription') statement.paramTypes = m.dataTypeIDs ?? [];
      if (m.name === 'rowDescription') statement.fields = (m.fields ?? []) as Statement['fields'];
    }
    this.#statements.set(text, statement);
    return statement;
  }

  async #execute(s: Statement, params: unknown[]) {
    const { serializers, parsers } = this.#pglite;
    const values = params.map((v, i): string | Uint8Array | null => {
      if (v === null || v === undefined) return null;
      const serialize = serializers[s.paramTypes[i] ?? 0];
      return serialize ? (serialize(v) as string | Uint8Array) : String(v);
    });
    const { messages } = await this.#pglite.execProtocol(
      concat([bind(s.name, values), EXECUTE, SYNC]),
    );
    const rows: Array<Record<string, unknown>> = [];
    let affectedRows = 0;
    for (const m of messages as unknown as BackendMessage[]) {
      if (m.name === 'dataRow' && m.fields) {
        const row: Record<string, unknown> = {};
        for (const [i, f] of s.fields.entries()) {
          const raw = (m.fields[i] ?? null) as string | null;
          const parse = parsers[f.dataTypeID];
          row[f.name] = raw === null ? null : parse ? parse(raw, f.dataTypeID) : raw;
        }
        rows.push(row);
      } else if (m.name === 'commandComplete' && m.text) {
        const words = m.text.split(' ');
        const n = Number.parseInt(words[words.length - 1] ?? '', 10);
        if (['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(words[0] ?? '') && n > 0)
          affectedRows += n;
      }
    }
    return { rows, affectedRows };
  }
}

interface Statement {
  name: string;
  paramTypes: number[];
  fields: Array<{ name: string; dataTypeID: number }>;
}

/** The fields of PGlite's parsed backend messages read here. */
interface BackendMessage {
  name: string;
  dataTypeIDs?: number[];
  /** rowDescription: the columns; dataRow: the values, as text. */
  fields?: unknown[];
  text?: string;
}

// The frontend messages (PostgreSQL protocol 3, "Message Formats"): a type byte, an int32
// length that counts itself, the body.
const utf8 = new TextEncoder();

function message(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  const view = new DataView(out.buffer);
  out[0] = type.charCodeAt(0);
  view.setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

function cstring(s: string): Uint8Array {
  return concat([utf8.encode(s), new Uint8Array([0])]);
}

function int16(n: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setInt16(0, n);
  return b;
}

function int32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parse: the statement's name and text, no parameter types given (the server infers them). */
const parse = (name: string, text: string) =>
  message('P', concat([cstring(name), cstring(text), int16(0)]));

const describeStatement = (name: string) => message('D', concat([utf8.encode('S'), cstring(name)]));

/** Bind to the unnamed portal: text values, bytes (jsonb's binary form) as binary; text rows. */
function bind(name: string, values: Array<string | Uint8Array | null>): Uint8Array {
  const parts: Uint8Array[] = [cstring(''), cstring(name), int16(values.length)];
  for (const v of values) parts.push(int16(v instanceof Uint8Array ? 1 : 0));
  parts.push(int16(values.length));
  for (const v of values) {
    if (v === null) parts.push(int32(-1));
    else {
      const bytes = v instanceof Uint8Array ? v : utf8.encode(v);
      parts.push(int32(bytes.length), bytes);
    }
  }
  parts.push(int16(0));
  return message('B', concat(parts));
}

/** Execute the unnamed portal, all rows. */
const EXECUTE = message('E', concat([cstring(''), int32(0)]));
const SYNC = message('S', new Uint8Array(0));
