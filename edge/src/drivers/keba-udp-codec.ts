import { formatZodIssues, GridlinkError, parseJsonText } from '@gridlink/shared';
import { z } from 'zod';

/**
 * The KEBA KeContact P20/P30 UDP protocol as the edge speaks it (KeContact P20/P30 UDP
 * Programmers Guide; checked against OpenEMS `io.openems.edge.evcs.keba.kecontact`, evcc
 * `charger/keba`, the keba-kecontact Python library). Pure: text in, values out; no I/O.
 *
 * Requests are plain ASCII text (`report 2`, `ena 1`, `curr 16000`). Answers are JSON objects
 * (reports carry `"ID": "2"`), `TCH-OK :done` for an accepted command, a line starting with
 * `TCH-ERR` for a refused one, `"Firmware":"…"` for `i`. JSON without `ID` is a broadcast the
 * station sends by itself (`{"State": 2}`, `{"Plug": 7}`, `{"E pres": 1234}`).
 *
 * Units on the wire: currents mA, voltages V, power mW, power factor 0.1 %, energies 0.1 Wh.
 */

export type KebaMessage =
  | { kind: 'ok' }
  | { kind: 'refused'; text: string }
  | { kind: 'identity'; firmware: string }
  | { kind: 'report'; id: number; fields: Record<string, unknown> }
  | { kind: 'broadcast'; fields: Record<string, unknown> };

/** What a request waits for: a report of that id, or a command's TCH-OK / TCH-ERR. */
export type KebaExpect = { kind: 'report'; id: number } | { kind: 'ack' };

const IDENTITY = /^"Firmware"\s*:\s*"([^"]*)"$/;

/**
 * Classifies one datagram. Throws GL_PAYLOAD_INVALID_JSON when it is none of the shapes above
 * and not JSON, GL_PAYLOAD_SCHEMA when it is JSON but not an object or carries a bad `ID`.
 */
export function parseKebaMessage(text: string): KebaMessage {
  const t = text.trim();
  if (t.startsWith('TCH-OK')) return { kind: 'ok' };
  if (t.startsWith('TCH-ERR')) return { kind: 'refused', text: t.slice(0, 200) };
  const identity = IDENTITY.exec(t);
  if (identity) return { kind: 'identity', firmware: identity[1] as string };
  const json = parseJsonText(t, 'datagram is neither TCH-OK/TCH-ERR nor JSON');
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new GridlinkError('GL_PAYLOAD_SCHEMA', 'datagram JSON is not an object');
  const fields = json as Record<string, unknown>;
  if (!('ID' in fields)) return { kind: 'broadcast', fields };
  // Stations send the ID as a string ("ID": "2"); accept a number too.
  const raw = fields.ID;
  const id = typeof raw === 'string' && /^\d{1,3}$/.test(raw) ? Number(raw) : raw;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 999)
    throw new GridlinkError('GL_PAYLOAD_SCHEMA', `ID: must be a report number, got ${String(raw)}`);
  return { kind: 'report', id, fields };
}

/** Whether `message` is the answer `expect` waits for (a TCH-ERR answers a command too). */
export function answers(expect: KebaExpect, message: KebaMessage): boolean {
  if (expect.kind === 'ack') return message.kind === 'ok' || message.kind === 'refused';
  return message.kind === 'report' && message.id === expect.id;
}

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const flag = z.union([z.literal(0), z.literal(1)]);

/** Report 2 (state, limits, enables); keys the edge needs are required, the rest may vary by model. */
const report2Schema = z.object({
  State: z.number().int().min(0).max(5),
  Error1: count,
  Error2: count,
  Plug: z.number().int().min(0).max(7),
  'Enable sys': flag,
  'Enable user': flag,
  'Max curr': count,
  'Curr HW': count,
  'Curr user': count,
  Setenergy: count,
  'Curr FS': count.optional(),
  'Tmo FS': count.optional(),
});
export type KebaReport2 = z.output<typeof report2Schema>;

/** Report 3 (meter values). */
const report3Schema = z.object({
  U1: count,
  U2: count,
  U3: count,
  I1: count,
  I2: count,
  I3: count,
  P: count,
  PF: count,
  'E pres': count,
  'E total': count,
});
export type KebaReport3 = z.output<typeof report3Schema>;

function validate<T>(schema: z.ZodType<T>, fields: Record<string, unknown>, what: string): T {
  const parsed = schema.safeParse(fields);
  if (!parsed.success)
    throw new GridlinkError('GL_PAYLOAD_SCHEMA', `${what}: ${formatZodIssues(parsed.error)}`);
  return parsed.data;
}

export const parseReport2 = (fields: Record<string, unknown>): KebaReport2 =>
  validate(report2Schema, fields, 'report 2');
export const parseReport3 = (fields: Record<string, unknown>): KebaReport3 =>
  validate(report3Schema, fields, 'report 3');

/**
 * Report 2 as reading values (GridLink charger vocabulary): `status` is KEBA's State (0 start-up,
 * 1 not ready, 2 ready, 3 charging, 4 error, 5 authorization rejected / suspended), `plug` its
 * bit flags (1 cable at station, 2 locked, 4 cable at vehicle), currents in A, the energy limit
 * in kWh (0 = none).
 */
export function report2Values(r: KebaReport2): Record<string, number> {
  const values: Record<string, number> = {
    status: r.State,
    fault_code: r.Error1,
    fault_code_2: r.Error2,
    plug: r.Plug,
    enabled: r['Enable sys'],
    enabled_user: r['Enable user'],
    current_limit: r['Max curr'] / 1000,
    current_limit_hw: r['Curr HW'] / 1000,
    current_limit_user: r['Curr user'] / 1000,
    energy_limit: r.Setenergy / 10_000,
  };
  if (r['Curr FS'] !== undefined) values.failsafe_current = r['Curr FS'] / 1000;
  if (r['Tmo FS'] !== undefined) values.failsafe_timeout = r['Tmo FS'];
  return values;
}

/** Report 3 as reading values: V, A, W, power factor as a ratio, energies in kWh. */
export function report3Values(r: KebaReport3): Record<string, number> {
  return {
    voltage_l1: r.U1,
    voltage_l2: r.U2,
    voltage_l3: r.U3,
    current_l1: r.I1 / 1000,
    current_l2: r.I2 / 1000,
    current_l3: r.I3 / 1000,
    power: r.P / 1000,
    power_factor: r.PF / 1000,
    session_energy: r['E pres'] / 10_000,
    energy_total: r['E total'] / 10_000,
  };
}

/** Current the station accepts from `curr`, A (guide: 6000-63000 mA). */
export const KEBA_CURRENT_A = { min: 6, max: 63 } as const;
/** Energy limit `setenergy` accepts, kWh (0 = none; at most 999,999,999 × 0.1 Wh). */
export const KEBA_ENERGY_KWH = { min: 0, max: 99_999.9999 } as const;

/** The commands a `keba-udp` device takes (the names the Modbus profiles use). */
export const KEBA_COMMANDS = ['start', 'stop', 'set_current_limit', 'set_energy', 'unlock'];

/**
 * The request text of a command, or GL_COMMAND_INVALID (unknown command, missing value, value
 * out of bounds): nothing is sent then. `start`/`stop` are `ena 1`/`ena 0`; `set_current_limit`
 * takes A (6-63) and sends `curr` in mA; `set_energy` takes kWh and sends `setenergy` in 0.1 Wh.
 */
export function kebaCommandText(command: string, value: number | undefined): string {
  const needs = (bounds: { min: number; max: number }, unit: string): number => {
    if (value === undefined || !Number.isFinite(value))
      throw new GridlinkError('GL_COMMAND_INVALID', `${command}: needs a numeric value (${unit})`);
    if (value < bounds.min || value > bounds.max)
      throw new GridlinkError(
        'GL_COMMAND_INVALID',
        `${command}: ${value} ${unit} is outside ${bounds.min}..${bounds.max}`,
      );
    return value;
  };
  switch (command) {
    case 'start':
      return 'ena 1';
    case 'stop':
      return 'ena 0';
    case 'unlock':
      return 'unlock';
    case 'set_current_limit':
      return `curr ${Math.round(needs(KEBA_CURRENT_A, 'A') * 1000)}`;
    case 'set_energy':
      return `setenergy ${Math.round(needs(KEBA_ENERGY_KWH, 'kWh') * 10_000)}`;
    default:
      throw new GridlinkError(
        'GL_COMMAND_INVALID',
        `a KEBA charger has no command "${command}" (have: ${KEBA_COMMANDS.join(', ')})`,
      );
  }
}
