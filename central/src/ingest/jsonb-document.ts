/**
 * A JSON document in PostgreSQL's binary jsonb format (jsonb_send/jsonb_recv: a version byte, 1,
 * then the JSON text as UTF-8). Handed to the database as a binary parameter, it skips the
 * client's text handling: node-postgres sends a Buffer as is, and PGlite would otherwise measure
 * the UTF-8 length of a 1 MB string in JavaScript, twice, on the thread that runs the database.
 * Its own buffer (never a pool slice), so the decode worker can transfer it.
 */
const JSONB_VERSION = 1;

export function jsonbDocument(json: string): Buffer {
  const doc = Buffer.allocUnsafeSlow(Buffer.byteLength(json) + 1);
  doc[0] = JSONB_VERSION;
  doc.write(json, 1);
  return doc;
}

/** The JSON text of a document (tests, logs). */
export function jsonbText(doc: Uint8Array): string {
  return Buffer.from(doc.buffer, doc.byteOffset + 1, doc.byteLength - 1).toString('utf8');
}

/** Two documents holding JSON arrays, as one: `[a…]` + `[b…]` -> `[a…,b…]`. */
export function concatJsonbArrays(a: Uint8Array, b: Uint8Array): Buffer {
  const doc = Buffer.allocUnsafeSlow(a.byteLength + b.byteLength - 2);
  doc.set(a.subarray(0, a.byteLength - 1), 0); // version, '[', a's items (no ']')
  doc[a.byteLength - 1] = 0x2c; // ','
  doc.set(b.subarray(2), a.byteLength); // b's items and ']' (no version, no '[')
  return doc;
}
