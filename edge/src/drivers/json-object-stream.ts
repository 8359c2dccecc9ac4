/** What the reader makes of the bytes of a stream. */
export type JsonStreamEvent =
  /** One complete top-level `{…}`, as UTF-8 text (not yet parsed: it may still be invalid JSON). */
  | { kind: 'object'; text: string }
  /** Bytes that are no object (up to a newline or the next `{`): answer and skip them. */
  | { kind: 'garbage'; bytes: number }
  /** An object grew past `maxBytes`: it is discarded up to its end (or the next newline). */
  | { kind: 'too-large' };

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const isSpace = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === NEWLINE;

type Mode = 'between' | 'object' | 'discard' | 'garbage';

/**
 * A streaming reader of top-level JSON objects (SEEDS E: TCP is a stream, and the original
 * meters wrote bare objects, with or without a newline between them). Bytes in, complete
 * objects out, whatever the chunking: it follows strings (and their escapes) and nesting, so a
 * `{` or `}` inside a string is text. Structural characters are ASCII, so it scans UTF-8 bytes
 * and never splits a character.
 *
 * Bounded: an object holds at most `maxBytes` (past it: one `too-large`, then its bytes are
 * skipped up to the object's end, or a raw newline, where meters resynchronise);
 * whitespace between objects is skipped; anything else up to a newline or the next `{` is one
 * `garbage` event, counted and never buffered. Memory: the object in progress only.
 */
export class JsonObjectStream {
  readonly #maxBytes: number;
  #mode: Mode = 'between';
  #parts: Buffer[] = [];
  #size = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #garbage = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Feeds one chunk; calls `emit` for each event, in stream order. */
  push(chunk: Buffer, emit: (event: JsonStreamEvent) => void): void {
    let start = 0; // where the object in progress starts within this chunk
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      switch (this.#mode) {
        case 'between':
          if (isSpace(b)) break;
          if (b === OPEN) {
            this.#open();
            start = i;
          } else {
            this.#mode = 'garbage';
            this.#garbage = 1;
          }
          break;
        case 'garbage':
          if (b === NEWLINE || b === OPEN) {
            emit({ kind: 'garbage', bytes: this.#garbage });
            this.#garbage = 0;
            this.#mode = 'between';
            if (b === OPEN) {
              this.#open();
              start = i;
            }
          } else this.#garbage++;
          break;
        case 'object':
        case 'discard': {
          const closed = this.#structure(b);
          if (this.#mode === 'discard') {
            // A raw newline is never inside a valid JSON string: a resync point in any case.
            if (closed || b === NEWLINE) this.#mode = 'between';
            break;
          }
          if (this.#size + (i - start + 1) > this.#maxBytes) {
            emit({ kind: 'too-large' });
            this.#parts = [];
            this.#size = 0;
            this.#mode = closed ? 'between' : 'discard';
            break;
          }
          if (closed) {
            this.#parts.push(chunk.subarray(start, i + 1));
            const text = Buffer.concat(this.#parts).toString('utf8');
            this.#parts = [];
            this.#size = 0;
            this.#mode = 'between';
            emit({ kind: 'object', text });
          }
          break;
        }
      }
    }
    if (this.#mode === 'object') {
      // Copied: the socket may reuse its buffer; the object continues in the next chunk.
      const rest = Buffer.from(chunk.subarray(start));
      this.#parts.push(rest);
      this.#size += rest.length;
    }
  }

  #open(): void {
    this.#mode = 'object';
    this.#depth = 1;
    this.#inString = false;
    this.#escaped = false;
    this.#parts = [];
    this.#size = 0;
  }

  /** Follows one byte of an object; true when it closed the top-level object. */
  #structure(b: number): boolean {
    if (this.#inString) {
      if (this.#escaped) this.#escaped = false;
      else if (b === BACKSLASH) this.#escaped = true;
      else if (b === QUOTE) this.#inString = false;
      return false;
    }
    if (b === QUOTE) this.#inString = true;
    else if (b === OPEN) this.#depth++;
    else if (b === CLOSE) return --this.#depth === 0;
    return false;
  }
}
