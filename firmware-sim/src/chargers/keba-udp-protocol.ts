import type { KebaEvent } from './keba-station.js';

/**
 * The station side of the KEBA KeContact P20/P30 UDP protocol (KeContact P20/P30 UDP
 * Programmers Guide), pure: a request text in, what it asks for out; report objects in, the
 * datagram text out.
 */

export type KebaRequest =
  | { kind: 'identify' }
  | { kind: 'report'; id: number }
  | { kind: 'command'; name: string; event: KebaEvent }
  /** `display …`: accepted, nothing to simulate. */
  | { kind: 'display' }
  | { kind: 'unknown' };

/** The answer to an accepted command (keba-kecontact: `b'TCH-OK :done\n'`). */
export const TCH_OK = 'TCH-OK :done\n';
/** The answer to a refused or unknown command. */
export const TCH_ERR = 'TCH-ERR\n';

/** Parses one request datagram: `i`, `report N`, `ena 0|1`, `curr mA`, `setenergy N`, `unlock`. */
export function parseKebaRequest(text: string): KebaRequest {
  const t = text.trim();
  if (t === 'i') return { kind: 'identify' };
  let m = /^report (\d{1,3})$/.exec(t);
  if (m) return { kind: 'report', id: Number(m[1]) };
  m = /^ena ([01])$/.exec(t);
  if (m) return { kind: 'command', name: 'ena', event: { type: 'enable', on: m[1] === '1' } };
  m = /^curr (\d{1,9})$/.exec(t);
  if (m) return { kind: 'command', name: 'curr', event: { type: 'current', mA: Number(m[1]) } };
  m = /^setenergy (\d{1,10})$/.exec(t);
  if (m)
    return {
      kind: 'command',
      name: 'setenergy',
      event: { type: 'energy-limit', value: Number(m[1]) },
    };
  if (t === 'unlock')
    return { kind: 'command', name: 'unlock', event: { type: 'unlock', charging: false } };
  if (/^display /.test(t)) return { kind: 'display' };
  return { kind: 'unknown' };
}

/**
 * A report as the station sends it: one key per line, `ID` a string, the rest numbers (Serial a
 * string), ending in a newline.
 */
export function formatKebaJson(fields: Readonly<Record<string, number | string>>): string {
  const lines = Object.entries(fields).map(
    ([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`,
  );
  return `{\n${lines.join(',\n')}\n}\n`;
}

/** The answer to `i`. */
export const formatIdentity = (firmware: string): string =>
  `"Firmware":${JSON.stringify(firmware)}\n`;

/**
 * "Max curr %": the control pilot duty cycle for a current, 0.1 % (IEC 61851-1 Annex A: duty =
 * A / 0.6 % for 6-51 A, A / 2.5 + 64 % for 51-80 A). No current offered: 1000 (no PWM).
 */
export function dutyCyclePermille(mA: number): number {
  if (mA <= 0) return 1000;
  const a = mA / 1000;
  return Math.round((a <= 51 ? a / 0.6 : a / 2.5 + 64) * 10);
}
