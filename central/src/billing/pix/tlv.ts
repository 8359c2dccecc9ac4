import { GridlinkError } from '@gridlink/shared';
import { PIX_INVALID } from '../errors.js';

/** One EMV data object: a two-digit id, a two-digit length, then `length` characters. */
export interface TlvField {
  readonly id: string;
  readonly value: string;
}

const ID_RE = /^\d{2}$/;

/** `id` + length (2 digits, 01–99) + value (EMV QRCPS MPM data object format). */
export function encodeTlv(id: string, value: string): string {
  if (!ID_RE.test(id)) {
    throw new GridlinkError(PIX_INVALID, `TLV id must be two digits: ${id}`, {
      reason: 'pix.tlv-id',
      id,
    });
  }
  if (value.length < 1 || value.length > 99) {
    throw new GridlinkError(PIX_INVALID, `TLV ${id} value length ${value.length} not in 1..99`, {
      reason: 'pix.tlv-length',
      id,
      length: value.length,
    });
  }
  return `${id}${value.length.toString().padStart(2, '0')}${value}`;
}

export function encodeTlvList(fields: readonly TlvField[]): string {
  return fields.map((f) => encodeTlv(f.id, f.value)).join('');
}

/** Splits a string of data objects; any truncation or non-numeric header fails cleanly. */
export function parseTlv(text: string): TlvField[] {
  const fields: TlvField[] = [];
  let at = 0;
  while (at < text.length) {
    const header = text.slice(at, at + 4);
    if (!/^\d{4}$/.test(header)) {
      throw new GridlinkError(PIX_INVALID, `bad TLV header at offset ${at}`, {
        reason: 'pix.tlv-header',
        offset: at,
      });
    }
    const id = header.slice(0, 2);
    const length = Number(header.slice(2));
    const value = text.slice(at + 4, at + 4 + length);
    if (length === 0 || value.length !== length) {
      throw new GridlinkError(PIX_INVALID, `TLV ${id} at offset ${at} is empty or truncated`, {
        reason: 'pix.tlv-truncated',
        offset: at,
        id,
      });
    }
    fields.push({ id, value });
    at += 4 + length;
  }
  return fields;
}
