import { isGridlinkError } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import type { Centavos } from '../../money/index.js';
import {
  crc16CcittFalse,
  crc16Hex,
  decodePix,
  encodePix,
  encodeTlv,
  hasValidPixCrc,
  type PixPayloadInput,
  parseTlv,
  pixKeyType,
} from './index.js';

// Published example 1 (Manual do BR Code, static code with a random "EVP" key), field by field:
const STATIC = [
  '000201', // 00 payload format indicator, len 02, "01"
  '26580014br.gov.bcb.pix', // 26 merchant account, len 58: 00 GUI len 14 …
  '0136123e4567-e12b-12d1-a456-426655440000', //  … 01 key, len 36 (a UUID)
  '52040000', // 52 MCC, len 04, "0000"
  '5303986', // 53 currency, len 03, "986" = BRL (ISO 4217)
  '5802BR', // 58 country, len 02
  '5913Fulano de Tal', // 59 merchant name, len 13
  '6008BRASILIA', // 60 merchant city, len 08
  '62070503***', // 62 additional data, len 07: 05 txid, len 03, "***" (none)
  '63041D3D', // 63 CRC16, len 04, over everything up to and including "6304"
].join('');

// Published example 2 (dynamic code: location URL, single use, upper-case GUI):
const DYNAMIC = [
  '000201',
  '010212', // 01 point of initiation, len 02, "12" = single use
  '26770014BR.GOV.BCB.PIX', // 26 len 77: 00 GUI len 14, upper case
  '2555pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99', // 25 URL, len 55, no scheme
  '52040000',
  '5303986',
  '5802BR',
  '5907EMPRESA',
  '6009SAO PAULO',
  '62070503***',
  '6304EEAB',
].join('');

describe('CRC16/CCITT-FALSE', () => {
  it('has the standard check value', () => {
    expect(crc16CcittFalse('123456789')).toBe(0x29b1);
    expect(crc16CcittFalse('')).toBe(0xffff);
  });

  it('covers the payload including "6304"', () => {
    expect(crc16Hex(STATIC.slice(0, -4))).toBe('1D3D');
    expect(crc16Hex(DYNAMIC.slice(0, -4))).toBe('EEAB');
  });

  it('pads to four upper-case hex digits', () => {
    // find an input whose CRC is below 0x1000 to exercise the padding
    let i = 0;
    while (crc16CcittFalse(String(i)) >= 0x1000) i++;
    expect(crc16Hex(String(i))).toMatch(/^0[0-9A-F]{3}$/);
  });
});

describe('encodePix', () => {
  it('reproduces published example 1 byte for byte', () => {
    expect(
      encodePix({
        key: '123e4567-e12b-12d1-a456-426655440000',
        merchantName: 'Fulano de Tal',
        merchantCity: 'BRASILIA',
      }),
    ).toBe(STATIC);
  });

  it('reproduces published example 2 byte for byte', () => {
    expect(
      encodePix({
        url: 'pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99',
        merchantName: 'EMPRESA',
        merchantCity: 'SAO PAULO',
        singleUse: true,
        guiCase: 'upper',
      }),
    ).toBe(DYNAMIC);
  });

  it('builds a full static code with amount and txid', () => {
    const payload = encodePix({
      key: 'financeiro@gridlink.example',
      description: 'Fatura 2024-03',
      merchantName: 'GridLink Energia',
      merchantCity: 'Salvador',
      amount: 23300 as Centavos,
      txid: 'FAT202403M42',
      mcc: '4900',
    });
    expect(payload.slice(0, -4)).toBe(
      [
        '000201',
        '2667', // 18 + 31 + 18 = 67
        '0014br.gov.bcb.pix',
        '0127financeiro@gridlink.example', // 01 key, 27 chars
        '0214Fatura 2024-03', // 02 description, 14 chars
        '52044900', // 4900 = utilities
        '5303986',
        '5406233.00', // 54 amount, 6 chars: R$ 233,00
        '5802BR',
        '5916GridLink Energia',
        '6008Salvador',
        '62160512FAT202403M42', // 62 len 16: 05 txid len 12
        '6304',
      ].join(''),
    );
    expect(hasValidPixCrc(payload)).toBe(true);
    const decoded = decodePix(payload);
    expect(decoded).toMatchObject({
      key: 'financeiro@gridlink.example',
      keyType: 'email',
      description: 'Fatura 2024-03',
      mcc: '4900',
      amount: 23300,
      merchantName: 'GridLink Energia',
      merchantCity: 'Salvador',
      txid: 'FAT202403M42',
    });
    expect(decoded.pointOfInitiation).toBeUndefined();
  });

  it('strips accents from name and city', () => {
    const payload = encodePix({
      key: '+5575999990000',
      merchantName: 'Conceição Energia',
      merchantCity: 'São Gonçalo',
    });
    expect(payload).toContain('5917Conceicao Energia6011Sao Goncalo');
    expect(decodePix(payload).keyType).toBe('phone');
  });

  const base: PixPayloadInput = { key: '123.456.789-09', merchantName: 'A', merchantCity: 'B' };
  const rejects: Array<[string, Partial<PixPayloadInput>, string]> = [
    ['no key nor url', { key: undefined }, 'pix.key-or-url'],
    ['both key and url', { url: 'x.example/qr/1' }, 'pix.key-or-url'],
    ['a formatted CPF key', {}, 'pix.key'], // keys are raw digits
    ['a CPF with bad check digits', { key: '12345678900' }, 'pix.key'],
    ['a url with its scheme', { key: undefined, url: 'https://x.example/qr/1' }, 'pix.url-scheme'],
    [
      'a description on a dynamic code',
      { key: undefined, url: 'x.example/1', description: 'x' },
      'pix.description',
    ],
    [
      'a 26-char name',
      { key: '12345678909', merchantName: 'A'.repeat(26) },
      'pix.merchantName-too-long',
    ],
    [
      'a 16-char city',
      { key: '12345678909', merchantCity: 'Feira de Santana' },
      'pix.merchantCity-too-long',
    ],
    ['an empty name', { key: '12345678909', merchantName: '  ' }, 'pix.merchantName-empty'],
    [
      'a non-Latin name',
      { key: '12345678909', merchantName: 'Энергия' },
      'pix.merchantName-charset',
    ],
    ['a txid with a dash', { key: '12345678909', txid: 'ABC-1' }, 'pix.txid'],
    ['a 26-char txid', { key: '12345678909', txid: 'A'.repeat(26) }, 'pix.txid'],
    ['a zero amount', { key: '12345678909', amount: 0 as Centavos }, 'pix.amount'],
    ['a negative amount', { key: '12345678909', amount: -1 as Centavos }, 'pix.amount'],
    ['a 3-digit MCC', { key: '12345678909', mcc: '490' }, 'pix.mcc'],
  ];
  it.each(rejects)('rejects %s', (_name, patch, reason) => {
    try {
      encodePix({ ...base, ...patch });
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err, 'GL_PIX_INVALID')).toBe(true);
      expect((err as { details: { reason: string } }).details.reason).toBe(reason);
    }
  });

  it('rejects a fractional amount', () => {
    expect(() => encodePix({ ...base, key: '12345678909', amount: 1.5 as Centavos })).toThrow(
      expect.objectContaining({
        details: expect.objectContaining({ reason: 'money.not-integer' }),
      }),
    );
  });

  it('accepts the longest fields', () => {
    const payload = encodePix({
      key: '12345678909',
      merchantName: 'N'.repeat(25),
      merchantCity: 'C'.repeat(15),
      txid: 'T'.repeat(25),
      amount: 999_999_999_99 as Centavos, // "999999999.99": 12 chars
    });
    expect(decodePix(payload).amount).toBe(999_999_999_99);
  });
});

describe('pixKeyType', () => {
  it.each([
    ['123e4567-e12b-12d1-a456-426655440000', 'evp'],
    ['12345678909', 'cpf'],
    ['11222333000181', 'cnpj'],
    ['+5571988887777', 'phone'],
    ['a@b.co', 'email'],
    ['12345678900', undefined], // bad CPF
    ['5571988887777', undefined], // phone without +
    ['not a key', undefined],
  ])('%s → %s', (key, type) => {
    expect(pixKeyType(key)).toBe(type);
  });
});

describe('decodePix', () => {
  it('decodes example 1', () => {
    expect(decodePix(STATIC)).toMatchObject({
      gui: 'br.gov.bcb.pix',
      key: '123e4567-e12b-12d1-a456-426655440000',
      keyType: 'evp',
      mcc: '0000',
      currency: '986',
      country: 'BR',
      merchantName: 'Fulano de Tal',
      merchantCity: 'BRASILIA',
      txid: '***',
      crc: '1D3D',
    });
  });

  it('decodes example 2', () => {
    const d = decodePix(DYNAMIC);
    expect(d).toMatchObject({
      pointOfInitiation: 'single-use',
      gui: 'BR.GOV.BCB.PIX',
      url: 'pix.example.com/qr/93598be0-1bd0-4997-8318-81776a1d8a99',
      merchantName: 'EMPRESA',
      merchantCity: 'SAO PAULO',
    });
    expect(d.key).toBeUndefined();
    expect(d.fields.map((f) => f.id)).toEqual([
      '00',
      '01',
      '26',
      '52',
      '53',
      '58',
      '59',
      '60',
      '62',
      '63',
    ]);
  });

  it('accepts amounts with fewer decimals from other issuers (54 len 04 "10.5")', () => {
    const body = STATIC.slice(0, -8).replace('5802BR', '540410.55802BR');
    const payload = `${body}6304${crc16Hex(`${body}6304`)}`;
    expect(decodePix(payload).amount).toBe(1050);
  });

  it('rejects a wrong CRC with the expected value in details', () => {
    const bad = `${STATIC.slice(0, -4)}1D3E`;
    try {
      decodePix(bad);
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err, 'GL_PIX_CRC')).toBe(true);
      expect((err as { details: unknown }).details).toMatchObject({
        reason: 'pix.crc-mismatch',
        expected: '1D3D',
        found: '1D3E',
      });
    }
  });

  it('rejects a lower-case CRC', () => {
    expect(() => decodePix(`${STATIC.slice(0, -4)}1d3d`)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ reason: 'pix.crc-mismatch' }) }),
    );
  });

  /** Re-signs a payload body so only the structural rule under test fails. */
  const signed = (body: string) => `${body}6304${crc16Hex(`${body}6304`)}`;
  const head = STATIC.slice(0, -8);
  it.each([
    ['a missing 00', signed(head.slice(6)), 'pix.format-indicator'],
    ['another currency', signed(head.replace('5303986', '5303840')), 'pix.currency'],
    ['another country', signed(head.replace('5802BR', '5802US')), 'pix.country'],
    ['no Pix GUI', signed(head.replace('br.gov.bcb.pix', 'br.gov.bcb.xyz')), 'pix.no-pix-account'],
    ['no merchant name', signed(head.replace('5913Fulano de Tal', '')), 'pix.missing-field'],
    ['no txid', signed(head.replace('62070503***', '62070703***')), 'pix.missing-field'],
    ['field 01 = 13', signed(head.replace('000201', '000201010213')), 'pix.poi'],
    ['a bad amount', signed(head.replace('5802BR', '54041,005802BR')), 'pix.amount'],
    ['a duplicate 59', signed(head.replace('5802BR', '5802BR5901X')), 'pix.duplicate-field'],
    ['CRC not last', `${STATIC}5802BR`, 'pix.crc-field'],
    ['truncated', STATIC.slice(0, 30), 'pix.tlv-truncated'],
    ['empty', '', 'pix.empty'],
    ['non-ASCII', STATIC.replace('Fulano', 'Fulanõ'), 'pix.charset'],
  ])('rejects %s', (_name, payload, reason) => {
    try {
      decodePix(payload);
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err)).toBe(true);
      expect((err as { details: { reason: string } }).details.reason).toBe(reason);
    }
  });

  it('fails cleanly on every single-character corruption of example 1', () => {
    for (let i = 0; i < STATIC.length; i++) {
      const ch = STATIC[i] === '0' ? '1' : '0';
      const corrupted = STATIC.slice(0, i) + ch + STATIC.slice(i + 1);
      expect(() => decodePix(corrupted), `offset ${i}`).toThrow(
        expect.objectContaining({ name: 'GridlinkError' }),
      );
    }
  });

  it('fails cleanly on random printable strings', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let n = 0; n < 1000; n++) {
      const len = next() % 120;
      const text = Array.from({ length: len }, () =>
        String.fromCharCode(next() % 2 ? 48 + (next() % 10) : 32 + (next() % 95)),
      ).join('');
      try {
        decodePix(text);
      } catch (err) {
        expect(isGridlinkError(err)).toBe(true);
      }
    }
  });

  it('round-trips encoder output', () => {
    const input: PixPayloadInput = {
      key: '11222333000181',
      merchantName: 'Coop Solar',
      merchantCity: 'Ilheus',
      amount: 1 as Centavos,
      txid: 'X1',
      singleUse: true,
    };
    expect(decodePix(encodePix(input))).toMatchObject({
      key: '11222333000181',
      keyType: 'cnpj',
      amount: 1,
      txid: 'X1',
      pointOfInitiation: 'single-use',
    });
  });
});

describe('TLV', () => {
  it('encodes with a two-digit length', () => {
    expect(encodeTlv('05', '***')).toBe('0503***');
    expect(encodeTlv('59', 'X'.repeat(99))).toHaveLength(103);
  });

  it.each([
    ['5', 'x', 'pix.tlv-id'],
    ['05', '', 'pix.tlv-length'],
    ['05', 'x'.repeat(100), 'pix.tlv-length'],
  ])('rejects id %j value length %#', (id, value, reason) => {
    expect(() => encodeTlv(id, value)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ reason }) }),
    );
  });

  it('parses nested objects', () => {
    expect(parseTlv('0014br.gov.bcb.pix0101X')).toEqual([
      { id: '00', value: 'br.gov.bcb.pix' },
      { id: '01', value: 'X' },
    ]);
    expect(() => parseTlv('00')).toThrow();
    expect(() => parseTlv('0000')).toThrow(); // zero length is not allowed
    expect(() => parseTlv('ab01x')).toThrow();
  });
});
