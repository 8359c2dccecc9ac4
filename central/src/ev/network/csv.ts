/**
 * A small strict CSV reader (RFC 4180 with a chosen delimiter) for the network import: no
 * dependency in the tree parses CSV, and the seed files need only this. Pure: bytes in, records
 * out, every defect reported with its physical line and column instead of thrown.
 *
 * - A UTF-8 byte order mark is skipped; lines end in LF or CRLF (a lone CR is a defect).
 * - Fields may be quoted (`"a;b"`, `""` is a quote inside); a quoted field may span lines.
 * - A quote inside an unquoted field, text after a closing quote, or a quote never closed makes
 *   that record bad (the reader resumes at the next line).
 * - Blank lines (nothing but spaces) are skipped. The last line needs no newline.
 * - Bytes that are not UTF-8 make the records on those lines bad; the rest still parse.
 */

export interface CsvRecord {
  /** 1-based physical line the record starts on. */
  line: number;
  fields: string[];
}

export interface CsvDefect {
  line: number;
  /** 1-based field number, when the defect is in one field. */
  column: number | null;
  reason: string;
}

export interface CsvParse {
  records: CsvRecord[];
  defects: CsvDefect[];
}

const BOM = [0xef, 0xbb, 0xbf];

/** The lines (1-based) that hold bytes which are not UTF-8, with the first bad byte's offset. */
function badUtf8Lines(bytes: Uint8Array): Map<number, number> {
  const bad = new Map<number, number>();
  const strict = new TextDecoder('utf-8', { fatal: true });
  let start = 0;
  let line = 1;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        strict.decode(bytes.subarray(start, i));
      } catch {
        bad.set(line, firstBadByte(bytes.subarray(start, i)));
      }
      start = i + 1;
      line += 1;
    }
  }
  return bad;
}

/** 1-based byte offset within the line of the first byte that breaks UTF-8. */
function firstBadByte(line: Uint8Array): number {
  const strict = new TextDecoder('utf-8', { fatal: true });
  for (let end = 1; end <= line.length; end++) {
    try {
      strict.decode(line.subarray(0, end), { stream: false });
    } catch {
      // A prefix can end mid-character: only a prefix that cannot be completed is the culprit.
      try {
        strict.decode(line.subarray(0, end), { stream: true });
      } catch {
        // Detected at byte `end`: the culprit is an unfinished lead byte just before it, if any.
        for (let k = end - 2; k >= Math.max(0, end - 4); k--)
          if ((line[k] as number) >= 0xc0) return k + 1;
        return end;
      }
    }
  }
  return line.length;
}

/** Parses `input` (bytes or text) with `delimiter`. */
export function parseCsv(input: Uint8Array | string, delimiter: ',' | ';'): CsvParse {
  let text: string;
  let badLines = new Map<number, number>();
  if (typeof input === 'string') text = input;
  else {
    const skip = BOM.every((b, i) => input[i] === b) ? 3 : 0;
    const bytes = input.subarray(skip);
    badLines = badUtf8Lines(bytes);
    text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

  const records: CsvRecord[] = [];
  const defects: CsvDefect[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;

  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let afterQuote = false;
    let defect: CsvDefect | null = null;
    let ended = false;
    let sawContent = false;
    while (i < n && !ended) {
      const ch = text[i] as string;
      if (quoted) {
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            afterQuote = true;
            i += 1;
          }
        } else {
          if (ch === '\n') line += 1;
          field += ch;
          i += 1;
        }
        continue;
      }
      if (ch === '\n' || (ch === '\r' && text[i + 1] === '\n')) {
        i += ch === '\r' ? 2 : 1;
        line += 1;
        ended = true;
        break;
      }
      if (ch === '\r') {
        defect ??= {
          line,
          column: fields.length + 1,
          reason: 'a carriage return not followed by a line feed',
        };
        i += 1;
        continue;
      }
      if (ch === delimiter) {
        fields.push(field);
        field = '';
        afterQuote = false;
        sawContent = true;
        i += 1;
        continue;
      }
      if (ch === '"') {
        if (field.trim() === '' && !afterQuote) {
          quoted = true;
          field = '';
          sawContent = true;
        } else
          defect ??= {
            line,
            column: fields.length + 1,
            reason: afterQuote
              ? 'a quote inside a quoted field must be doubled ("")'
              : 'a quote inside an unquoted field (quote the whole field)',
          };
        i += 1;
        continue;
      }
      if (afterQuote) {
        if (ch !== ' ' && ch !== '\t')
          defect ??= {
            line,
            column: fields.length + 1,
            reason: 'text after the closing quote of a field',
          };
        i += 1;
        continue;
      }
      if (ch.trim() !== '') sawContent = true;
      field += ch;
      i += 1;
    }
    if (quoted) {
      defects.push({
        line: startLine,
        column: fields.length + 1,
        reason: 'a quoted field is never closed',
      });
      break;
    }
    fields.push(field);
    if (!sawContent && fields.length === 1) continue; // a blank line
    for (let l = startLine; l < line + (ended ? 0 : 1); l++) {
      const at = badLines.get(l);
      if (at !== undefined && !defect)
        defect = { line: l, column: null, reason: `not UTF-8 (byte ${at} of the line)` };
    }
    if (defect) defects.push(defect);
    else records.push({ line: startLine, fields });
  }
  return { records, defects };
}
