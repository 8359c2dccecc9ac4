import { describe, expect, it } from 'vitest';
import { isGridlinkError } from '../errors/index.js';
import {
  cnpjCheckDigits,
  cpfCheckDigits,
  formatCnpj,
  formatCpf,
  isValidCnpj,
  isValidCpf,
  normalizeCnpj,
  normalizeCpf,
  normalizeTaxDocument,
} from './index.js';

/**
 * Valid CPFs, computed by the algorithm (d = r < 2 ? 0 : 11 − r, r = Σ % 11):
 * - 123456789|09: Σ(1..9 × 10..2) = 10+18+24+28+30+30+28+24+18 = 210, 210 % 11 = 1 → d1 = 0;
 *   Σ(1..9,0 × 11..2) = 11+20+27+32+35+36+35+32+27+0 = 255, 255 % 11 = 2 → d2 = 9.
 * - 529982247|25: Σ = 295, 295 % 11 = 9 → d1 = 2; Σ = 347, 347 % 11 = 6 → d2 = 5.
 * - 111444777|35: Σ = 162, % 11 = 8 → 3; Σ = 204, % 11 = 6 → 5.
 * - 000000001|91: Σ = 1×2 = 2 → 9; Σ = 1×3 + 9×2 = 21, % 11 = 10 → 1.
 * - 987654321|00: Σ = 330, % 11 = 0 → 0; Σ = 375, % 11 = 1 → 0.
 */
const validCpfs: Array<[string, string]> = [
  ['123.456.789-09', '12345678909'],
  ['12345678909', '12345678909'],
  ['529.982.247-25', '52998224725'],
  ['111.444.777-35', '11144477735'],
  [' 000.000.001-91 ', '00000000191'],
  ['987 654 321 00', '98765432100'],
];

const invalidCpfs: Array<[string, string]> = [
  ['123.456.789-00', 'cpf.check-digits'], // d1 should be 0, d2 should be 9
  ['123.456.789-19', 'cpf.check-digits'], // first check digit wrong
  ['529.982.247-24', 'cpf.check-digits'], // second check digit wrong
  ['111.111.111-11', 'cpf.repeated-digit'], // passes mod 11 but is not issued
  ['000.000.000-00', 'cpf.repeated-digit'],
  ['99999999999', 'cpf.repeated-digit'],
  ['1234567890', 'cpf.not-11-digits'], // 10 digits
  ['123456789091', 'cpf.not-11-digits'], // 12 digits
  ['123.456.789-0a', 'cpf.not-11-digits'], // letter
  ['123_456_789_09', 'cpf.not-11-digits'], // unknown separator is not silently dropped
  ['', 'cpf.not-11-digits'],
];

/**
 * Valid CNPJs (weights 5,4,3,2,9,8,7,6,5,4,3,2 then 6,5,4,3,2,9,8,7,6,5,4,3,2):
 * - 11.222.333/0001-|81: Σ = 5+4+6+4+18+24+21+18+0+0+0+2 = 102, % 11 = 3 → 8;
 *   Σ = 6+5+8+6+4+27+24+21+0+0+0+3+16 = 120, % 11 = 10 → 1.
 * - 12.345.678/0001-|95: Σ = 222, % 11 = 2 → 9; Σ = 237, % 11 = 6 → 5.
 * - 00.000.000/0001-|91: Σ = 2 → 9; Σ = 3 + 18 = 21, % 11 = 10 → 1.
 * - 12.ABC.345/01DE-|35 (alphanumeric, each character = char code − 48, A = 17):
 *   values 1,2,17,18,19,3,4,5,0,1,20,21: Σ = 459, % 11 = 8 → 3; Σ = 424, % 11 = 6 → 5.
 */
const validCnpjs: Array<[string, string]> = [
  ['11.222.333/0001-81', '11222333000181'],
  ['11222333000181', '11222333000181'],
  ['12.345.678/0001-95', '12345678000195'],
  ['00.000.000/0001-91', '00000000000191'],
  ['12.ABC.345/01DE-35', '12ABC34501DE35'],
  ['12.abc.345/01de-35', '12ABC34501DE35'], // case-insensitive
];

const invalidCnpjs: Array<[string, string]> = [
  ['11.222.333/0001-80', 'cnpj.check-digits'],
  ['11.222.333/0001-91', 'cnpj.check-digits'],
  ['12.ABC.345/01DE-36', 'cnpj.check-digits'],
  ['11.111.111/1111-11', 'cnpj.repeated-digit'],
  ['00000000000000', 'cnpj.repeated-digit'],
  ['11.222.333/0001-8', 'cnpj.not-14-characters'],
  ['11.222.333/0001-8A', 'cnpj.not-14-characters'], // check digits are always numeric
  ['11.222.333/0001-811', 'cnpj.not-14-characters'],
  ['11.222.333/0001+81', 'cnpj.not-14-characters'],
];

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isGridlinkError(err, 'GL_DOCUMENT_INVALID')).toBe(true);
    return (err as { details: { reason: string } }).details.reason;
  }
  throw new Error('expected a GridlinkError');
}

describe('CPF', () => {
  it.each(validCpfs)('%j is valid → %s', (input, digits) => {
    expect(normalizeCpf(input)).toBe(digits);
    expect(isValidCpf(input)).toBe(true);
  });

  it.each(invalidCpfs)('%j is rejected (%s)', (input, reason) => {
    expect(reasonOf(() => normalizeCpf(input))).toBe(reason);
    expect(isValidCpf(input)).toBe(false);
  });

  it('computes check digits', () => {
    expect(cpfCheckDigits([1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([0, 9]);
  });

  it('formats', () => {
    expect(formatCpf(normalizeCpf('12345678909'))).toBe('123.456.789-09');
  });

  it('does not put the number in error details (personal data)', () => {
    try {
      normalizeCpf('123.456.789-00');
    } catch (err) {
      expect(JSON.stringify((err as { details: unknown }).details)).not.toContain('123');
    }
  });
});

describe('CNPJ', () => {
  it.each(validCnpjs)('%j is valid → %s', (input, value) => {
    expect(normalizeCnpj(input)).toBe(value);
    expect(isValidCnpj(input)).toBe(true);
  });

  it.each(invalidCnpjs)('%j is rejected (%s)', (input, reason) => {
    expect(reasonOf(() => normalizeCnpj(input))).toBe(reason);
    expect(isValidCnpj(input)).toBe(false);
  });

  it('computes check digits', () => {
    expect(cnpjCheckDigits('112223330001')).toEqual([8, 1]);
    expect(cnpjCheckDigits('12ABC34501DE')).toEqual([3, 5]);
  });

  it('formats', () => {
    expect(formatCnpj(normalizeCnpj('11222333000181'))).toBe('11.222.333/0001-81');
  });
});

describe('normalizeTaxDocument', () => {
  it('tells CPF from CNPJ by length', () => {
    expect(normalizeTaxDocument('123.456.789-09')).toEqual({ kind: 'cpf', value: '12345678909' });
    expect(normalizeTaxDocument('11.222.333/0001-81')).toEqual({
      kind: 'cnpj',
      value: '11222333000181',
    });
  });

  it.each([
    ['123', 'document.not-11-or-14-characters'],
    ['123.456.789-00', 'cpf.check-digits'],
    ['11.222.333/0001-80', 'cnpj.check-digits'],
  ])('%j → %s', (input, reason) => {
    expect(reasonOf(() => normalizeTaxDocument(input))).toBe(reason);
  });

  it('never throws anything but a GridlinkError on random text', () => {
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    const alphabet = '0123456789./- ABCxyz';
    for (let i = 0; i < 500; i++) {
      const text = Array.from(
        { length: next() % 20 },
        () => alphabet[next() % alphabet.length],
      ).join('');
      try {
        normalizeTaxDocument(text);
      } catch (err) {
        expect(isGridlinkError(err)).toBe(true);
      }
    }
  });
});
