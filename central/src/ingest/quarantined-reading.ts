import { ID_PATTERN, type ReadingRejection } from '@gridlink/shared';

/** Bytes of a quarantined reading's text kept (its JSON, cut at this length). */
export const MAX_RAW_BYTES = 4096;
/** Characters of the reason's message kept. */
export const MAX_MESSAGE_CHARS = 1000;

/**
 * A reading of an otherwise valid batch that failed the reading check (docs/WIRE.md, "Readings
 * the central sets aside"). Kept beside the readings, in the same transaction, under its seq.
 * Every string is safe for a PostgreSQL text column and a jsonb document: no NUL, no other
 * control character, no lone surrogate.
 */
export interface QuarantinedReading {
  /** Its place in the batch: firstSeq + index, whatever its own `seq` said. */
  seq: number;
  /** The reading's deviceId when it is a valid id; null otherwise (the raw text shows it). */
  deviceId: string | null;
  reason: ReadingRejection;
  message: string;
  /** The reading as JSON, cut to MAX_RAW_BYTES; non-finite numbers show as null. */
  raw: string;
  /** The byte length of the whole JSON text, before the cut. */
  rawBytes: number;
  /** When the central checked it (its clock), epoch ms. */
  checkedAt: number;
}

/** A reading set aside at `seq`, with the check's reason and message, made safe to store. */
export function quarantinedReading(
  seq: number,
  reading: unknown,
  rejection: { reason: ReadingRejection; message: string },
  checkedAt: number,
): QuarantinedReading {
  const deviceId =
    typeof reading === 'object' && reading !== null
      ? (reading as { deviceId?: unknown }).deviceId
      : undefined;
  const text = rawText(reading);
  const rawBytes = Buffer.byteLength(text);
  return {
    seq,
    deviceId: typeof deviceId === 'string' && ID_PATTERN.test(deviceId) ? deviceId : null,
    reason: rejection.reason,
    message: safeText(rejection.message.slice(0, MAX_MESSAGE_CHARS)),
    raw: rawBytes > MAX_RAW_BYTES ? safeText(cutUtf8(text, MAX_RAW_BYTES)) : text,
    rawBytes,
    checkedAt,
  };
}

/**
 * The reading as JSON text. JSON.stringify escapes control characters and lone surrogates, so
 * the text is safe as it is; a value it cannot encode (nesting deeper than the stack) is named.
 */
function rawText(reading: unknown): string {
  try {
    return JSON.stringify(reading) ?? 'undefined';
  } catch (err) {
    return `(not encodable as JSON: ${(err as Error).message})`;
  }
}

/** The first `max` bytes of `text` as UTF-8, never ending inside a character. */
function cutUtf8(text: string, max: number): string {
  const bytes = Buffer.from(text);
  let end = max;
  // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * Control characters (NUL among them: PostgreSQL text and jsonb refuse it) become `?`, lone
 * surrogates (jsonb refuses their escapes) become U+FFFD. Messages may quote the sender's keys.
 */
export function safeText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) out += '?';
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text.slice(i, i + 2);
        i++;
      } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += text.charAt(i);
  }
  return out;
}
