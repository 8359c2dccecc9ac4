import { type CsvDefect, parseCsv } from './csv.js';

/**
 * The two network files GridLink imports (docs/EV.md, "Network"), read into rows to store. Pure:
 * bytes in, rows and issues out; nothing here touches the database.
 *
 * - `feira` (`feira_de_santana_stations.csv`, `;`): one station per row with
 *   `quantidadeDeVeiculosSimultaneos` points (1-16), point external ids `1`..`N`.
 * - `points` (`company-*-points.csv`, `,`): one point per row, each at its own coordinates, so
 *   one station per row holding that one point (station and point take the row's id).
 */
export const importFormats = ['feira', 'points'] as const;
export type ImportFormat = (typeof importFormats)[number];

export interface ImportIssue {
  /** 1-based physical line of the file (the header is line 1). */
  line: number;
  /** 1-based column (field number); null when the issue is the whole line. */
  column: number | null;
  /** The column's header name, when there is one. */
  field: string | null;
  reason: string;
}

export interface NetworkRow {
  line: number;
  station: {
    externalId: string;
    name: string;
    address: string | null;
    latitude: number;
    longitude: number;
  };
  points: Array<{ externalId: string; name: string; active: boolean }>;
  /**
   * Whether the file states the points' names and active switch (format `points`: `nome`,
   * `status`), so a re-import sets them; `feira` derives them, so they are set on creation only.
   */
  pointsFromFile: boolean;
}

export interface ReadRows {
  rows: NetworkRow[];
  /** Rows refused (each row's every bad field). */
  errors: ImportIssue[];
  /** Rows taken with a recovered value. */
  warnings: ImportIssue[];
  /** Lines that held data rows (good or bad), for the report. */
  dataLines: number;
}

interface Spec {
  delimiter: ',' | ';';
  header: readonly string[];
}

const SPECS: Record<ImportFormat, Spec> = {
  feira: {
    delimiter: ';',
    header: [
      'id',
      'nomeDoPosto',
      'endereço',
      'latitude',
      'longitude',
      'quantidadeDeVeiculosSimultaneos',
    ],
  },
  points: { delimiter: ',', header: ['id', 'nome', 'latitude', 'longitude', 'status'] },
};

/** Most points one station row may ask for. */
export const MAX_POINTS_PER_STATION = 16;
const ID = /^[A-Za-z0-9._-]{1,64}$/;
const DECIMAL = /^-?\d{1,3}(\.\d{1,12})?$/;
/** A number followed by words: `-38.9545 sometimes` (the seed's dirty row). */
const NUMBER_THEN_WORDS = /^(-?\d{1,3}(?:\.\d{1,12})?)\s+[^\d\s.,;-].*$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

const normalHeader = (name: string) => name.normalize('NFC').trim().toLowerCase();

/** Reads `bytes` as `format`. Never throws on content: every defect is an issue. */
export function readNetworkRows(format: ImportFormat, bytes: Uint8Array | string): ReadRows {
  const spec = SPECS[format];
  const { records, defects } = parseCsv(bytes, spec.delimiter);
  const errors: ImportIssue[] = defects.map((d: CsvDefect) => ({
    ...d,
    field: d.column === null ? null : (spec.header[d.column - 1] ?? null),
  }));
  const warnings: ImportIssue[] = [];
  const rows: NetworkRow[] = [];
  const [head, ...data] = records;
  const firstDefectLine = defects[0]?.line ?? Number.POSITIVE_INFINITY;
  if (!head || head.line > firstDefectLine) {
    // The header itself is unreadable (or missing): nothing below can be trusted.
    if (!head && defects.length === 0)
      errors.push({ line: 1, column: null, field: null, reason: 'the file is empty' });
    return { rows, errors, warnings, dataLines: records.length + defects.length };
  }
  const got = head.fields.map(normalHeader);
  if (got.length !== spec.header.length || spec.header.some((h, i) => normalHeader(h) !== got[i])) {
    errors.push({
      line: head.line,
      column: null,
      field: null,
      reason: `header: expected "${spec.header.join(spec.delimiter)}" (format ${format}), got "${head.fields.join(spec.delimiter)}"`,
    });
    return { rows, errors: errors.slice(-1), warnings, dataLines: 0 };
  }

  const firstLineOf = new Map<string, number>();
  for (const record of data) {
    const rowErrors: ImportIssue[] = [];
    const rowWarnings: ImportIssue[] = [];
    const issue = (column: number, reason: string): ImportIssue => ({
      line: record.line,
      column,
      field: spec.header[column - 1] ?? null,
      reason,
    });
    if (record.fields.length !== spec.header.length) {
      errors.push({
        line: record.line,
        column: null,
        field: null,
        reason: `expected ${spec.header.length} fields separated by "${spec.delimiter}", got ${record.fields.length}`,
      });
      continue;
    }
    const f = record.fields.map((v) => v.trim());
    const text = (column: number, max: number, optional = false): string | null => {
      const v = f[column - 1] as string;
      if (v === '') {
        if (!optional) rowErrors.push(issue(column, 'required, got an empty field'));
        return null;
      }
      if (v.length > max) rowErrors.push(issue(column, `at most ${max} characters`));
      else if (CONTROL.test(v)) rowErrors.push(issue(column, 'control characters are not allowed'));
      else return v;
      return null;
    };
    const coordinate = (column: number, limit: 90 | 180): number | null => {
      const v = f[column - 1] as string;
      let value: number | null = null;
      if (DECIMAL.test(v)) value = Number(v);
      else {
        const m = NUMBER_THEN_WORDS.exec(v);
        if (m) {
          value = Number(m[1]);
          rowWarnings.push(
            issue(column, `"${v}" read as ${m[1]}: the words after the number are ignored`),
          );
        } else {
          rowErrors.push(
            issue(
              column,
              v === ''
                ? 'required, got an empty field'
                : `"${v.slice(0, 40)}" is not a decimal number (digits, "." as separator)`,
            ),
          );
          return null;
        }
      }
      if (Math.abs(value) > limit) {
        rowWarnings.pop();
        rowErrors.push(issue(column, `${value} is out of range (-${limit} to ${limit})`));
        return null;
      }
      return value;
    };

    const externalId = f[0] as string;
    if (!ID.test(externalId))
      rowErrors.push(
        issue(
          1,
          externalId === '' ? 'required, got an empty field' : 'an id is 1-64 of A-Z a-z 0-9 . _ -',
        ),
      );
    else if (firstLineOf.has(externalId))
      rowErrors.push(
        issue(1, `duplicate id ${externalId} (first on line ${firstLineOf.get(externalId)})`),
      );
    const name = text(2, 200);
    let row: NetworkRow | null = null;
    if (format === 'feira') {
      const address = text(3, 300, true);
      const latitude = coordinate(4, 90);
      const longitude = coordinate(5, 180);
      const count = f[5] as string;
      const n = /^\d{1,3}$/.test(count) ? Number(count) : Number.NaN;
      if (!(n >= 1 && n <= MAX_POINTS_PER_STATION))
        rowErrors.push(
          issue(6, `a whole number of points from 1 to ${MAX_POINTS_PER_STATION}, got "${count}"`),
        );
      if (rowErrors.length === 0)
        row = {
          line: record.line,
          station: {
            externalId,
            name: name as string,
            address,
            latitude: latitude as number,
            longitude: longitude as number,
          },
          points: Array.from({ length: n }, (_, k) => ({
            externalId: String(k + 1),
            name: `${name} #${k + 1}`,
            active: true,
          })),
          pointsFromFile: false,
        };
    } else {
      const latitude = coordinate(3, 90);
      const longitude = coordinate(4, 180);
      const status = (f[4] as string).toLowerCase();
      if (status !== 'ativo' && status !== 'inativo')
        rowErrors.push(
          issue(5, `status is "ativo" or "inativo", got "${(f[4] as string).slice(0, 40)}"`),
        );
      if (rowErrors.length === 0)
        row = {
          line: record.line,
          station: {
            externalId,
            name: name as string,
            address: null,
            latitude: latitude as number,
            longitude: longitude as number,
          },
          points: [{ externalId, name: name as string, active: status === 'ativo' }],
          pointsFromFile: true,
        };
    }
    if (ID.test(externalId) && !firstLineOf.has(externalId))
      firstLineOf.set(externalId, record.line);
    if (row) {
      rows.push(row);
      warnings.push(...rowWarnings);
    } else errors.push(...rowErrors);
  }
  errors.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
  return { rows, errors, warnings, dataLines: data.length + defects.length };
}
