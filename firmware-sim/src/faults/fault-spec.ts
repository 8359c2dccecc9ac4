import { GridlinkError } from '@gridlink/shared';

/**
 * The faults a simulated device can show on demand. Each is deterministic: it applies to every
 * request (or every send) while it is set, and its timing depends only on the device's clock.
 */
export type FaultSpec =
  /** Say nothing: Modbus requests get no answer; UDP/TCP meters and cars stop sending. */
  | { mode: 'no-reply' }
  /** Answer (or send) `delayMs` late. */
  | { mode: 'late-reply'; delayMs: number }
  /** Modbus RTU: the reply's CRC is wrong. Modbus TCP has no CRC: replies are unchanged. */
  | { mode: 'bad-crc' }
  /** Modbus: the reply carries another unit id (default: the next one, 247 wraps to 1). */
  | { mode: 'wrong-unit'; unitId?: number }
  /** Modbus: every request is answered with this exception code (01..0B). */
  | { mode: 'exception'; code: number }
  /** Text protocols (KEBA UDP): every answer is replaced by bytes that are not the protocol. */
  | { mode: 'garbage-reply' }
  /** Modbus: the reply loses its last `dropBytes` bytes (default: half its data), framed validly. */
  | { mode: 'short-frame'; dropBytes?: number }
  /** Meter replaced: the served energy register drops to `toKWh` (default 0) and keeps counting. */
  | { mode: 'counter-reset'; toKWh?: number }
  /** Tampering: the served energy register steps back by `backKWh` (default 10) and keeps counting. */
  | { mode: 'tamper'; backKWh?: number }
  /** Link flapping: down for `downMs`, up for `upMs`, repeating from when the fault was set. */
  | { mode: 'link-flap'; downMs: number; upMs: number }
  /** The device's own clock is off by `offsetMs` (timestamps it sends; JSON/UDP meters, cars). */
  | { mode: 'clock-skew'; offsetMs: number }
  /**
   * Chargers: the connector reports a fault of its own (status 5 faulted, fault_code =
   * `faultCode`, default 1); a session in progress ends. The wire stays healthy.
   */
  | { mode: 'connector-fault'; faultCode?: number };

export type FaultMode = FaultSpec['mode'];

export const FAULT_MODES: readonly FaultMode[] = [
  'no-reply',
  'late-reply',
  'bad-crc',
  'wrong-unit',
  'exception',
  'short-frame',
  'garbage-reply',
  'counter-reset',
  'tamper',
  'link-flap',
  'clock-skew',
  'connector-fault',
];

function invalid(path: string, reason: string): never {
  throw new GridlinkError('GL_CONFIG_INVALID', `${path}: ${reason}`, { key: path });
}

function num(
  body: Record<string, unknown>,
  key: string,
  path: string,
  opts: { min: number; max: number; integer?: boolean; optional?: boolean },
): number | undefined {
  const value = body[key];
  if (value === undefined && opts.optional) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (opts.integer && !Number.isInteger(value)) ||
    value < opts.min ||
    value > opts.max
  ) {
    invalid(
      `${path}.${key}`,
      `must be ${opts.integer ? 'an integer' : 'a number'} ${opts.min}..${opts.max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

const ALLOWED_KEYS: Record<FaultMode, readonly string[]> = {
  'no-reply': [],
  'late-reply': ['delayMs'],
  'bad-crc': [],
  'wrong-unit': ['unitId'],
  exception: ['code'],
  'short-frame': ['dropBytes'],
  'garbage-reply': [],
  'counter-reset': ['toKWh'],
  tamper: ['backKWh'],
  'link-flap': ['downMs', 'upMs'],
  'clock-skew': ['offsetMs'],
  'connector-fault': ['faultCode'],
};

/** Validates an untrusted fault description; errors are GL_CONFIG_INVALID naming the key path. */
export function parseFaultSpec(input: unknown, path = 'fault'): FaultSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    invalid(path, 'must be an object with a "mode"');
  }
  const body = input as Record<string, unknown>;
  const mode = body.mode;
  if (typeof mode !== 'string' || !(FAULT_MODES as readonly string[]).includes(mode)) {
    invalid(`${path}.mode`, `must be one of ${FAULT_MODES.join('|')}, got ${JSON.stringify(mode)}`);
  }
  const m = mode as FaultMode;
  for (const key of Object.keys(body)) {
    if (key !== 'mode' && !ALLOWED_KEYS[m].includes(key)) {
      invalid(`${path}.${key}`, `is not a parameter of mode ${m}`);
    }
  }
  const DAY = 86_400_000;
  switch (m) {
    case 'late-reply':
      return { mode: m, delayMs: num(body, 'delayMs', path, { min: 0, max: DAY }) as number };
    case 'wrong-unit': {
      const unitId = num(body, 'unitId', path, { min: 0, max: 255, integer: true, optional: true });
      return unitId === undefined ? { mode: m } : { mode: m, unitId };
    }
    case 'exception':
      return {
        mode: m,
        code: num(body, 'code', path, { min: 1, max: 0x0b, integer: true }) as number,
      };
    case 'short-frame': {
      const dropBytes = num(body, 'dropBytes', path, {
        min: 1,
        max: 252,
        integer: true,
        optional: true,
      });
      return dropBytes === undefined ? { mode: m } : { mode: m, dropBytes };
    }
    case 'counter-reset': {
      const toKWh = num(body, 'toKWh', path, { min: 0, max: 1e9, optional: true });
      return toKWh === undefined ? { mode: m } : { mode: m, toKWh };
    }
    case 'tamper': {
      const backKWh = num(body, 'backKWh', path, { min: 0, max: 1e9, optional: true });
      return backKWh === undefined ? { mode: m } : { mode: m, backKWh };
    }
    case 'link-flap':
      return {
        mode: m,
        downMs: num(body, 'downMs', path, { min: 1, max: DAY }) as number,
        upMs: num(body, 'upMs', path, { min: 1, max: DAY }) as number,
      };
    case 'clock-skew':
      return {
        mode: m,
        offsetMs: num(body, 'offsetMs', path, { min: -365 * DAY, max: 365 * DAY }) as number,
      };
    case 'connector-fault': {
      const faultCode = num(body, 'faultCode', path, {
        min: 1,
        max: 0xffff,
        integer: true,
        optional: true,
      });
      return faultCode === undefined ? { mode: m } : { mode: m, faultCode };
    }
    default:
      return { mode: m } as FaultSpec;
  }
}
