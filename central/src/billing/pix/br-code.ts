import { GridlinkError, isValidCnpj, isValidCpf } from '@gridlink/shared';
import { type Centavos, centavos, formatReaisPlain } from '../../money/index.js';
import { PIX_CRC_MISMATCH, PIX_INVALID } from '../errors.js';
import { crc16Hex } from './crc16.js';
import { encodeTlv, parseTlv, type TlvField } from './tlv.js';

/**
 * Pix "copia e cola" (BR Code, EMV QRCPS Merchant-Presented Mode as profiled by the Banco Central
 * "Manual do BR Code"). Field ids below are the EMV ids; `26.01` means sub-field 01 of field 26.
 */
export const PIX_GUI = 'br.gov.bcb.pix';

export type PixKeyType = 'cpf' | 'cnpj' | 'email' | 'phone' | 'evp';

export interface PixPayloadInput {
  /** A Pix key (26.01) for a static code. Exactly one of `key` and `url`. */
  key?: string;
  /** A dynamic-code location without `https://` (26.25). Exactly one of `key` and `url`. */
  url?: string;
  /** Free text for the payer (26.02), static codes only. */
  description?: string;
  /** 59, at most 25 characters once accents are removed. */
  merchantName: string;
  /** 60, at most 15 characters once accents are removed. */
  merchantCity: string;
  /** 54, omitted when absent (the payer types the amount). Must be > 0. */
  amount?: Centavos;
  /** 62.05: up to 25 of [A-Za-z0-9]; `***` (the default) means none. */
  txid?: string;
  /** 52 merchant category code, four digits; default `0000`. */
  mcc?: string;
  /** 01 = `12` (single-use, typical of dynamic codes); omitted when false or absent. */
  singleUse?: boolean;
  /** Spelling of 26.00; the manual's examples use both. Default `lower`. */
  guiCase?: 'lower' | 'upper';
}

export interface DecodedPix {
  pointOfInitiation?: 'reusable' | 'single-use';
  gui: string;
  key?: string;
  keyType?: PixKeyType;
  url?: string;
  description?: string;
  mcc: string;
  currency: string;
  amount?: Centavos;
  country: string;
  merchantName: string;
  merchantCity: string;
  txid: string;
  crc: string;
  /** Top-level data objects in payload order, for diagnostics. */
  fields: TlvField[];
}

function fail(reason: string, message: string, details: Record<string, unknown> = {}): never {
  throw new GridlinkError(PIX_INVALID, message, { reason: `pix.${reason}`, ...details });
}

/** Pix keys are ASCII; names and cities lose their accents (`São Paulo` → `Sao Paulo`). */
export function toPixText(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

const PRINTABLE = /^[\x20-\x7e]+$/;
const EVP_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE_RE = /^\+[1-9]\d{7,14}$/;

/** Classifies a Pix key or returns undefined when it is none of the five kinds. */
export function pixKeyType(key: string): PixKeyType | undefined {
  if (EVP_RE.test(key)) return 'evp';
  if (PHONE_RE.test(key)) return 'phone';
  if (/^\d{11}$/.test(key) && isValidCpf(key)) return 'cpf';
  if (/^[0-9A-Z]{12}\d{2}$/.test(key) && isValidCnpj(key)) return 'cnpj';
  if (key.length <= 77 && EMAIL_RE.test(key)) return 'email';
  return undefined;
}

function checkText(field: string, value: string, max: number): string {
  const text = toPixText(value).trim();
  if (text.length === 0) fail(`${field}-empty`, `${field} is empty`);
  if (!PRINTABLE.test(text)) fail(`${field}-charset`, `${field} has non-ASCII characters`);
  if (text.length > max) fail(`${field}-too-long`, `${field} longer than ${max} characters`);
  return text;
}

/** Builds the payload string, CRC included. Validates every field first. */
export function encodePix(input: PixPayloadInput): string {
  const hasKey = input.key !== undefined;
  const hasUrl = input.url !== undefined;
  if (hasKey === hasUrl) fail('key-or-url', 'give exactly one of key and url');

  const account: string[] = [
    encodeTlv('00', input.guiCase === 'upper' ? PIX_GUI.toUpperCase() : PIX_GUI),
  ];
  if (input.key !== undefined) {
    if (pixKeyType(input.key) === undefined) fail('key', 'not a valid Pix key');
    account.push(encodeTlv('01', input.key));
    if (input.description !== undefined) {
      account.push(encodeTlv('02', checkText('description', input.description, 72)));
    }
  } else if (input.url !== undefined) {
    const url = input.url;
    if (/^[a-z]+:\/\//i.test(url)) fail('url-scheme', 'url goes without its scheme (https://)');
    if (!/^[\x21-\x7e]{1,77}$/.test(url)) fail('url', 'url must be 1..77 printable characters');
    if (input.description !== undefined) fail('description', 'description is for static codes');
    account.push(encodeTlv('25', url));
  }
  const accountValue = account.join('');
  if (accountValue.length > 99) fail('account-too-long', 'field 26 longer than 99 characters');

  const mcc = input.mcc ?? '0000';
  if (!/^\d{4}$/.test(mcc)) fail('mcc', 'mcc must be four digits');

  const txid = input.txid ?? '***';
  if (txid !== '***' && !/^[A-Za-z0-9]{1,25}$/.test(txid)) {
    fail('txid', 'txid must be 1..25 letters and digits, or ***');
  }

  let amount: string | undefined;
  if (input.amount !== undefined) {
    const value = centavos(input.amount);
    if (value <= 0) fail('amount', 'amount must be positive');
    amount = formatReaisPlain(value);
    if (amount.length > 13) fail('amount', 'amount longer than 13 characters');
  }

  const parts = [encodeTlv('00', '01')];
  if (input.singleUse) parts.push(encodeTlv('01', '12'));
  parts.push(encodeTlv('26', accountValue));
  parts.push(encodeTlv('52', mcc));
  parts.push(encodeTlv('53', '986'));
  if (amount !== undefined) parts.push(encodeTlv('54', amount));
  parts.push(encodeTlv('58', 'BR'));
  parts.push(encodeTlv('59', checkText('merchantName', input.merchantName, 25)));
  parts.push(encodeTlv('60', checkText('merchantCity', input.merchantCity, 15)));
  parts.push(encodeTlv('62', encodeTlv('05', txid)));
  // 63: the CRC covers everything before it, including its own id and length "6304".
  const body = `${parts.join('')}6304`;
  return `${body}${crc16Hex(body)}`;
}

/** True when the last four characters are the CRC16 of everything before them. */
export function hasValidPixCrc(payload: string): boolean {
  return (
    payload.length > 8 &&
    payload.slice(-8, -4) === '6304' &&
    /^[0-9A-F]{4}$/.test(payload.slice(-4)) &&
    crc16Hex(payload.slice(0, -4)) === payload.slice(-4)
  );
}

function one(fields: TlvField[], id: string, required: true): string;
function one(fields: TlvField[], id: string, required: false): string | undefined;
function one(fields: TlvField[], id: string, required: boolean): string | undefined {
  const found = fields.filter((f) => f.id === id);
  if (found.length > 1) fail('duplicate-field', `field ${id} appears twice`, { id });
  if (required && found.length === 0) fail('missing-field', `field ${id} missing`, { id });
  return found[0]?.value;
}

/**
 * Parses and checks a payload: TLV structure, 00 first, 63 last with a matching CRC, Pix merchant
 * account (GUI compared case-insensitively), currency 986, country BR, txid present.
 */
export function decodePix(payload: string): DecodedPix {
  if (typeof payload !== 'string' || payload.length === 0) fail('empty', 'empty payload');
  if (!PRINTABLE.test(payload)) fail('charset', 'payload has non-printable characters');
  const fields = parseTlv(payload);
  if (fields[0]?.id !== '00' || fields[0].value !== '01') {
    fail('format-indicator', 'payload must start with 000201');
  }
  const last = fields[fields.length - 1];
  if (last?.id !== '63' || last.value.length !== 4) fail('crc-field', 'payload must end with 6304');
  if (!hasValidPixCrc(payload)) {
    throw new GridlinkError(PIX_CRC_MISMATCH, 'Pix payload CRC16 does not match', {
      reason: 'pix.crc-mismatch',
      expected: crc16Hex(payload.slice(0, -4)),
      found: payload.slice(-4),
    });
  }

  const poi = one(fields, '01', false);
  if (poi !== undefined && poi !== '11' && poi !== '12') fail('poi', 'field 01 must be 11 or 12');

  const account = fields.find((f) => {
    const n = Number(f.id);
    if (n < 26 || n > 51) return false;
    const gui = parseTlv(f.value).find((s) => s.id === '00');
    return gui?.value.toLowerCase() === PIX_GUI;
  });
  if (!account) fail('no-pix-account', 'no merchant account with GUI br.gov.bcb.pix');
  const sub = parseTlv(account.value);
  const gui = one(sub, '00', true);
  const key = one(sub, '01', false);
  const description = one(sub, '02', false);
  const url = one(sub, '25', false);
  if ((key === undefined) === (url === undefined)) fail('key-or-url', 'need exactly one of 01, 25');
  const keyType = key === undefined ? undefined : pixKeyType(key);
  if (key !== undefined && keyType === undefined) fail('key', 'not a valid Pix key');

  const mcc = one(fields, '52', true);
  if (!/^\d{4}$/.test(mcc)) fail('mcc', 'mcc must be four digits');
  const currency = one(fields, '53', true);
  if (currency !== '986') fail('currency', 'currency must be 986 (BRL)');
  const amountText = one(fields, '54', false);
  let amount: Centavos | undefined;
  if (amountText !== undefined) {
    const m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(amountText);
    if (!m) fail('amount', 'amount is not a decimal like 10.50');
    amount = centavos(Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')));
  }
  const country = one(fields, '58', true);
  if (country !== 'BR') fail('country', 'country must be BR');
  const merchantName = one(fields, '59', true);
  if (merchantName.length > 25) fail('merchantName-too-long', 'field 59 longer than 25');
  const merchantCity = one(fields, '60', true);
  if (merchantCity.length > 15) fail('merchantCity-too-long', 'field 60 longer than 15');
  const additional = parseTlv(one(fields, '62', true));
  const txid = one(additional, '05', true);

  const decoded: DecodedPix = {
    gui,
    mcc,
    currency,
    country,
    merchantName,
    merchantCity,
    txid,
    crc: last.value,
    fields,
  };
  if (poi !== undefined) decoded.pointOfInitiation = poi === '12' ? 'single-use' : 'reusable';
  if (key !== undefined) decoded.key = key;
  if (keyType !== undefined) decoded.keyType = keyType;
  if (url !== undefined) decoded.url = url;
  if (description !== undefined) decoded.description = description;
  if (amount !== undefined) decoded.amount = amount;
  return decoded;
}
