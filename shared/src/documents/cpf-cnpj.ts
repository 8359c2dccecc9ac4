import { GridlinkError } from '../errors/index.js';

declare const cpfBrand: unique symbol;
declare const cnpjBrand: unique symbol;

/** A CPF as its 11 digits, check digits verified. */
export type Cpf = string & { readonly [cpfBrand]: true };
/** A CNPJ as its 14 characters (12 alphanumeric + 2 check digits), check digits verified. */
export type Cnpj = string & { readonly [cnpjBrand]: true };

export type TaxDocument = { kind: 'cpf'; value: Cpf } | { kind: 'cnpj'; value: Cnpj };

/** Separators people type: dots, dash, slash, spaces. Anything else is an error, not ignored. */
const SEPARATORS = /[.\-/\s]/g;

/**
 * Modulo-11 check digit shared by CPF and CNPJ: Σ value×weight, remainder r of 11,
 * digit = r < 2 ? 0 : 11 − r.
 */
function mod11Digit(values: readonly number[], weights: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += (values[i] ?? 0) * (weights[i] ?? 0);
  const r = sum % 11;
  return r < 2 ? 0 : 11 - r;
}

const CPF_W1 = [10, 9, 8, 7, 6, 5, 4, 3, 2];
const CPF_W2 = [11, 10, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W1 = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
const CNPJ_W2 = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];

function reject(kind: 'cpf' | 'cnpj' | 'document', input: string, why: string): never {
  throw new GridlinkError('GL_DOCUMENT_INVALID', `invalid ${kind.toUpperCase()}: ${why}`, {
    reason: `${kind}.${why.replace(/\s+/g, '-')}`,
    // Only the length goes into details: a document number is personal data.
    length: input.length,
  });
}

/** CPF check digits for the first nine digits (as numbers). */
export function cpfCheckDigits(base9: readonly number[]): [number, number] {
  const d1 = mod11Digit(base9, CPF_W1);
  const d2 = mod11Digit([...base9, d1], CPF_W2);
  return [d1, d2];
}

/**
 * CNPJ check digits for the first twelve characters. Each character counts as its char code − 48,
 * so digits keep their value and the alphanumeric CNPJ (IN RFB 2.229/2024, from July 2026) works:
 * 'A' = 17 … 'Z' = 42.
 */
export function cnpjCheckDigits(base12: string): [number, number] {
  const values = [...base12].map((c) => c.charCodeAt(0) - 48);
  const d1 = mod11Digit(values, CNPJ_W1);
  const d2 = mod11Digit([...values, d1], CNPJ_W2);
  return [d1, d2];
}

/** `'123.456.789-09'` or `'12345678909'` → `'12345678909'`; throws when invalid. */
export function normalizeCpf(input: string): Cpf {
  const text = input.replace(SEPARATORS, '');
  if (!/^\d{11}$/.test(text)) reject('cpf', input, 'not 11 digits');
  if (/^(\d)\1{10}$/.test(text)) reject('cpf', input, 'repeated digit');
  const digits = [...text].map(Number);
  const [d1, d2] = cpfCheckDigits(digits.slice(0, 9));
  if (digits[9] !== d1 || digits[10] !== d2) reject('cpf', input, 'check digits');
  return text as Cpf;
}

/** `'11.222.333/0001-81'`, `'11222333000181'` or alphanumeric `'12.ABC.345/01DE-35'`. */
export function normalizeCnpj(input: string): Cnpj {
  const text = input.replace(SEPARATORS, '').toUpperCase();
  if (!/^[0-9A-Z]{12}\d{2}$/.test(text)) reject('cnpj', input, 'not 14 characters');
  if (/^(\d)\1{13}$/.test(text)) reject('cnpj', input, 'repeated digit');
  const [d1, d2] = cnpjCheckDigits(text.slice(0, 12));
  if (Number(text[12]) !== d1 || Number(text[13]) !== d2) reject('cnpj', input, 'check digits');
  return text as Cnpj;
}

export function isValidCpf(input: string): boolean {
  try {
    normalizeCpf(input);
    return true;
  } catch {
    return false;
  }
}

export function isValidCnpj(input: string): boolean {
  try {
    normalizeCnpj(input);
    return true;
  } catch {
    return false;
  }
}

/** Decides by length once separators are gone: 11 → CPF, 14 → CNPJ. */
export function normalizeTaxDocument(input: string): TaxDocument {
  const text = input.replace(SEPARATORS, '');
  if (text.length === 11) return { kind: 'cpf', value: normalizeCpf(input) };
  if (text.length === 14) return { kind: 'cnpj', value: normalizeCnpj(input) };
  return reject('document', input, 'not 11 or 14 characters');
}

/** `'12345678909'` → `'123.456.789-09'`. */
export function formatCpf(cpf: Cpf): string {
  return `${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}`;
}

/** `'11222333000181'` → `'11.222.333/0001-81'`. */
export function formatCnpj(cnpj: Cnpj): string {
  return `${cnpj.slice(0, 2)}.${cnpj.slice(2, 5)}.${cnpj.slice(5, 8)}/${cnpj.slice(8, 12)}-${cnpj.slice(12)}`;
}
