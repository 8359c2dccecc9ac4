import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCsv, readNetworkRows } from '../src/ev/network/index.js';

/** The seed network files, byte-exact copies kept with the demo (deploy/demo/seed/README.md). */
const SEED = fileURLToPath(new URL('../../deploy/demo/seed', import.meta.url));
const seed = (name: string) => new Uint8Array(readFileSync(`${SEED}/${name}`));
const bytes = (text: string) => new TextEncoder().encode(text);
const FEIRA_HEAD = 'id;nomeDoPosto;endereço;latitude;longitude;quantidadeDeVeiculosSimultaneos';
const POINTS_HEAD = 'id,nome,latitude,longitude,status';

describe('parseCsv: a strict RFC 4180 reader', () => {
  it('quoted fields: delimiters, doubled quotes and newlines inside; CRLF; BOM; blank lines', () => {
    const text = `\ufeffa;b\r\n"x;y";"say ""hi"""\r\n\r\n   \n"two\nlines";z`;
    const { records, defects } = parseCsv(bytes(text), ';');
    expect(defects).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x;y', 'say "hi"'] },
      { line: 5, fields: ['two\nlines', 'z'] },
    ]);
  });

  it('a BOM given as bytes is skipped, not read into the first header name', () => {
    const { records } = parseCsv(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes('id,x')]), ',');
    expect(records[0]?.fields[0]).toBe('id');
  });

  it('defects name line and column, and the reader goes on with the next line', () => {
    const text = 'a,b\nx"y,1\n"q"z,2\nok,3\nbad\r,4\n"never closed,5';
    const { records, defects } = parseCsv(text, ',');
    expect(records.map((r) => r.line)).toEqual([1, 4]);
    expect(defects).toEqual([
      { line: 2, column: 1, reason: 'a quote inside an unquoted field (quote the whole field)' },
      { line: 3, column: 1, reason: 'text after the closing quote of a field' },
      { line: 5, column: 1, reason: 'a carriage return not followed by a line feed' },
      { line: 6, column: 1, reason: 'a quoted field is never closed' },
    ]);
  });

  it('bytes that are not UTF-8 spoil only their own line (Latin-1 "ç" = 0xE7)', () => {
    const latin1 = new Uint8Array([...bytes('a,b\n1,Pra'), 0xe7, ...bytes('a\n2,ok')]);
    const { records, defects } = parseCsv(latin1, ',');
    expect(records.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['2', 'ok'],
    ]);
    expect(defects).toEqual([{ line: 2, column: null, reason: 'not UTF-8 (byte 6 of the line)' }]);
  });

  it('random bytes never throw', () => {
    let seedValue = 42;
    const rnd = () => {
      seedValue = (seedValue * 1103515245 + 12345) & 0x7fffffff;
      return seedValue;
    };
    const alphabet = bytes('a;,"\r\n \u00e7');
    for (let n = 0; n < 300; n++) {
      const input = Uint8Array.from({ length: rnd() % 60 }, () =>
        rnd() % 5 === 0 ? rnd() % 256 : (alphabet[rnd() % alphabet.length] as number),
      );
      expect(() => parseCsv(input, ';')).not.toThrow();
      expect(() => readNetworkRows('feira', input)).not.toThrow();
      expect(() => readNetworkRows('points', input)).not.toThrow();
    }
  });
});

describe('readNetworkRows: the seed files', () => {
  it('feira: 100 stations, 250 points; row id=4 "-38.9545 sometimes" recovered with a warning', () => {
    const read = readNetworkRows('feira', seed('feira_de_santana_stations.csv'));
    expect(read.errors).toEqual([]);
    expect(read.rows).toHaveLength(100);
    expect(read.rows.reduce((n, r) => n + r.points.length, 0)).toBe(250);
    const four = read.rows.find((r) => r.station.externalId === '4');
    expect(four?.station).toMatchObject({
      name: 'Recarga Rápida Brasília',
      address: 'Avenida Governador João Durval Carneiro, 1800',
      latitude: -12.268,
      longitude: -38.9545,
    });
    expect(read.warnings).toEqual([
      {
        line: 5,
        column: 5,
        field: 'longitude',
        reason: '"-38.9545 sometimes" read as -38.9545: the words after the number are ignored',
      },
    ]);
    expect(read.rows[0]?.points.map((p) => p.externalId)).toEqual(['1', '2', '3']);
  });

  it('company points: 120 rows each, the last row\'s "ativo " is active after trimming', () => {
    for (const file of ['company-a-points.csv', 'company-b-points.csv']) {
      const read = readNetworkRows('points', seed(file));
      expect(read.errors).toEqual([]);
      expect(read.warnings).toEqual([]);
      expect(read.rows).toHaveLength(120);
      const last = read.rows.at(-1);
      expect(last?.line).toBe(121);
      expect(last?.points).toEqual([{ externalId: '120', name: last?.station.name, active: true }]);
      expect(read.rows.every((r) => r.points[0]?.active)).toBe(true);
    }
  });
});

describe('readNetworkRows: dirty rows are reported with line, column and reason', () => {
  it('feira: wrong column count, out-of-range and non-numeric coordinates, bad counts, duplicates', () => {
    const text = [
      FEIRA_HEAD,
      '1;Ok;Rua A;-12.25;-38.96;2',
      '2;Short;Rua B;-12.25;-38.96',
      '3;Lat;Rua C;-95.5;-38.96;1',
      '4;Lon;Rua D;-12.25;abc;1',
      '5;Zero;Rua E;-12.25;-38.96;0',
      '6;Many;Rua F;-12.25;-38.96;17',
      '1;Again;Rua G;-12.25;-38.96;1',
      ';NoId;Rua H;-12.25;-38.96;1',
      '9;;Rua I;-12.25;-38.96;1',
      '10;Comma;Rua J;-12,25;-38.96;1',
      '11;"Quoted; name";"Rua K, 1";-12.25;-38.96;1',
      '12;Words out of range;;-12.25;-200 far;1',
    ].join('\r\n');
    const read = readNetworkRows('feira', bytes(text));
    expect(read.rows.map((r) => r.station.externalId)).toEqual(['1', '11']);
    expect(read.rows[1]?.station).toMatchObject({ name: 'Quoted; name', address: 'Rua K, 1' });
    expect(read.errors).toEqual([
      { line: 3, column: null, field: null, reason: 'expected 6 fields separated by ";", got 5' },
      { line: 4, column: 4, field: 'latitude', reason: '-95.5 is out of range (-90 to 90)' },
      {
        line: 5,
        column: 5,
        field: 'longitude',
        reason: '"abc" is not a decimal number (digits, "." as separator)',
      },
      {
        line: 6,
        column: 6,
        field: 'quantidadeDeVeiculosSimultaneos',
        reason: 'a whole number of points from 1 to 16, got "0"',
      },
      {
        line: 7,
        column: 6,
        field: 'quantidadeDeVeiculosSimultaneos',
        reason: 'a whole number of points from 1 to 16, got "17"',
      },
      { line: 8, column: 1, field: 'id', reason: 'duplicate id 1 (first on line 2)' },
      { line: 9, column: 1, field: 'id', reason: 'required, got an empty field' },
      { line: 10, column: 2, field: 'nomeDoPosto', reason: 'required, got an empty field' },
      {
        line: 11,
        column: 4,
        field: 'latitude',
        reason: '"-12,25" is not a decimal number (digits, "." as separator)',
      },
      { line: 13, column: 5, field: 'longitude', reason: '-200 is out of range (-180 to 180)' },
    ]);
    expect(read.warnings).toEqual([]);
    expect(read.dataLines).toBe(12);
  });

  it('points: a status that is neither ativo nor inativo; inativo is inactive', () => {
    const text = `${POINTS_HEAD}\n1,A,-23.5,-46.6,inativo\n2,B,-23.5,-46.6,talvez\n3,C,-23.5,-46.6, ATIVO `;
    const read = readNetworkRows('points', text);
    expect(read.rows.map((r) => [r.station.externalId, r.points[0]?.active])).toEqual([
      ['1', false],
      ['3', true],
    ]);
    expect(read.errors).toEqual([
      {
        line: 3,
        column: 5,
        field: 'status',
        reason: 'status is "ativo" or "inativo", got "talvez"',
      },
    ]);
  });

  it("a wrong header (or the other format's file) is one error on line 1 and no rows", () => {
    const read = readNetworkRows('points', seed('feira_de_santana_stations.csv'));
    expect(read.rows).toEqual([]);
    expect(read.errors).toHaveLength(1);
    expect(read.errors[0]).toMatchObject({ line: 1, column: null });
    expect(read.errors[0]?.reason).toMatch(/^header: expected "id,nome,latitude,longitude,status"/);
    expect(readNetworkRows('feira', '').errors).toEqual([
      { line: 1, column: null, field: null, reason: 'the file is empty' },
    ]);
  });
});
