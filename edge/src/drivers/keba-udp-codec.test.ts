import { isGridlinkError } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import {
  answers,
  kebaCommandText,
  parseKebaMessage,
  parseReport2,
  parseReport3,
  report2Values,
  report3Values,
} from './keba-udp-codec.js';

/**
 * Fixtures modelled on the KeContact P20/P30 UDP Programmers Guide (key names and units; the
 * key lists match evcc's `charger/keba/reports.go` and keba-kecontact's report schemas): one key
 * per line, ID a string, a trailing newline, as stations send them.
 */
const REPORT_1 = `{
"ID": "1",
"Product": "KC-P30-EC240422-E00",
"Serial": "16914905",
"Firmware": "P30 v 3.10.16 (200629-094407)",
"COM-module": 1,
"Backend": 0,
"timeQ": 3,
"Sec": 1704
}
`;

const REPORT_2 = `{
"ID": "2",
"State": 3,
"Error1": 0,
"Error2": 0,
"Plug": 7,
"AuthON": 0,
"Authreq": 0,
"Enable sys": 1,
"Enable user": 1,
"Max curr": 16000,
"Max curr %": 267,
"Curr HW": 32000,
"Curr user": 16000,
"Curr FS": 6000,
"Tmo FS": 30,
"Curr timer": 0,
"Tmo CT": 0,
"Setenergy": 100000,
"Output": 0,
"Input": 0,
"Serial": "16914905",
"Sec": 1705
}
`;

const REPORT_3 = `{
"ID": "3",
"U1": 231,
"U2": 229,
"U3": 230,
"I1": 15980,
"I2": 16010,
"I3": 15995,
"P": 11044123,
"PF": 998,
"E pres": 51234,
"E total": 123456789,
"Serial": "16914905",
"Sec": 1706
}
`;

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (isGridlinkError(err)) return err.code;
    throw err;
  }
  return expect.unreachable('no error');
};

describe('KEBA UDP codec: datagrams', () => {
  it('tells answers, refusals, identity, reports and broadcasts apart', () => {
    expect(parseKebaMessage('TCH-OK :done\n')).toEqual({ kind: 'ok' });
    expect(parseKebaMessage('TCH-ERR :unknown command\n')).toEqual({
      kind: 'refused',
      text: 'TCH-ERR :unknown command',
    });
    expect(parseKebaMessage('"Firmware":"P30 v 3.10.16 (200629-094407)"\n')).toEqual({
      kind: 'identity',
      firmware: 'P30 v 3.10.16 (200629-094407)',
    });
    expect(parseKebaMessage(REPORT_1)).toMatchObject({ kind: 'report', id: 1 });
    expect(parseKebaMessage(REPORT_2)).toMatchObject({ kind: 'report', id: 2 });
    // A numeric ID is taken as well.
    expect(parseKebaMessage('{"ID": 3, "U1": 1}')).toMatchObject({ kind: 'report', id: 3 });
    // Broadcasts carry no ID (OpenEMS ReadHandler handles State, Plug, Input, Enable sys, Max curr, E pres).
    expect(parseKebaMessage('{"State": 2}')).toEqual({ kind: 'broadcast', fields: { State: 2 } });
    expect(parseKebaMessage('{"E pres": 1234}')).toEqual({
      kind: 'broadcast',
      fields: { 'E pres': 1234 },
    });
  });

  it('a request is answered only by what it waits for', () => {
    const r2 = parseKebaMessage(REPORT_2);
    expect(answers({ kind: 'report', id: 2 }, r2)).toBe(true);
    expect(answers({ kind: 'report', id: 3 }, r2)).toBe(false);
    expect(answers({ kind: 'ack' }, r2)).toBe(false);
    expect(answers({ kind: 'ack' }, { kind: 'ok' })).toBe(true);
    expect(answers({ kind: 'ack' }, { kind: 'refused', text: 'TCH-ERR' })).toBe(true);
    expect(answers({ kind: 'report', id: 2 }, { kind: 'ok' })).toBe(false);
  });

  it.each([
    ['not JSON', 'hello', 'GL_PAYLOAD_INVALID_JSON'],
    ['truncated JSON', '\xff\xfe{"ID": "', 'GL_PAYLOAD_INVALID_JSON'],
    ['a trailing comma', '{"ID": "2", "State": 2,}', 'GL_PAYLOAD_INVALID_JSON'],
    ['an empty datagram', '', 'GL_PAYLOAD_INVALID_JSON'],
    ['a JSON array', '[1, 2]', 'GL_PAYLOAD_SCHEMA'],
    ['a JSON number', '42', 'GL_PAYLOAD_SCHEMA'],
    ['an ID that is no number', '{"ID": "two"}', 'GL_PAYLOAD_SCHEMA'],
    ['ID 0', '{"ID": "0"}', 'GL_PAYLOAD_SCHEMA'],
  ])('%s is rejected with %s', (_what, text, code) => {
    expect(codeOf(() => parseKebaMessage(text))).toBe(code);
  });

  it('random bytes never throw anything but a catalog error', () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.from(Array.from({ length: next() % 64 }, () => next() & 0xff));
      try {
        parseKebaMessage(bytes.toString('latin1'));
      } catch (err) {
        expect(isGridlinkError(err)).toBe(true);
      }
    }
  });
});

describe('KEBA UDP codec: reports as reading values', () => {
  it('report 2: KEBA state, plug flags, enables, currents in A, energy limit in kWh', () => {
    const m = parseKebaMessage(REPORT_2);
    if (m.kind !== 'report') return expect.unreachable();
    expect(report2Values(parseReport2(m.fields))).toEqual({
      status: 3, // charging
      fault_code: 0,
      fault_code_2: 0,
      plug: 7, // cable at station (1) + locked (2) + at vehicle (4)
      enabled: 1,
      enabled_user: 1,
      current_limit: 16, // Max curr 16000 mA
      current_limit_hw: 32,
      current_limit_user: 16,
      energy_limit: 10, // Setenergy 100000 × 0.1 Wh
      failsafe_current: 6,
      failsafe_timeout: 30,
    });
  });

  it('report 3: V, A (from mA), W (from mW), power factor (from 0.1 %), kWh (from 0.1 Wh)', () => {
    const m = parseKebaMessage(REPORT_3);
    if (m.kind !== 'report') return expect.unreachable();
    expect(report3Values(parseReport3(m.fields))).toEqual({
      voltage_l1: 231,
      voltage_l2: 229,
      voltage_l3: 230,
      current_l1: 15.98,
      current_l2: 16.01,
      current_l3: 15.995,
      power: 11044.123,
      power_factor: 0.998,
      session_energy: 5.1234,
      energy_total: 12345.6789,
    });
  });

  it('a report 2 without failsafe keys (older models) has no failsafe values', () => {
    const m = parseKebaMessage(REPORT_2.replace('"Curr FS": 6000,\n"Tmo FS": 30,\n', ''));
    if (m.kind !== 'report') return expect.unreachable();
    const v = report2Values(parseReport2(m.fields));
    expect(v).not.toHaveProperty('failsafe_current');
    expect(v.status).toBe(3);
  });

  it.each([
    ['State out of range', REPORT_2.replace('"State": 3', '"State": 9'), 'State'],
    ['Plug as a string', REPORT_2.replace('"Plug": 7', '"Plug": "7"'), 'Plug'],
    ['a missing key', REPORT_2.replace('"Curr HW": 32000,\n', ''), 'Curr HW'],
    ['a negative current', REPORT_2.replace('"Max curr": 16000', '"Max curr": -1'), 'Max curr'],
    ['a fractional enable', REPORT_2.replace('"Enable sys": 1', '"Enable sys": 0.5'), 'Enable sys'],
  ])('report 2 with %s is GL_PAYLOAD_SCHEMA naming the key', (_what, text, key) => {
    const m = parseKebaMessage(text);
    if (m.kind !== 'report') return expect.unreachable();
    try {
      parseReport2(m.fields);
      expect.unreachable();
    } catch (err) {
      expect(isGridlinkError(err, 'GL_PAYLOAD_SCHEMA')).toBe(true);
      expect((err as Error).message).toContain(key);
    }
  });

  it('report 3 with a missing or non-numeric value is GL_PAYLOAD_SCHEMA', () => {
    for (const text of [
      REPORT_3.replace('"E total": 123456789,\n', ''),
      REPORT_3.replace('"P": 11044123', '"P": null'),
    ]) {
      const m = parseKebaMessage(text);
      if (m.kind !== 'report') return expect.unreachable();
      expect(codeOf(() => parseReport3(m.fields))).toBe('GL_PAYLOAD_SCHEMA');
    }
  });
});

describe('KEBA UDP codec: commands', () => {
  it('names map to the guide commands, in the station units', () => {
    expect(kebaCommandText('start', undefined)).toBe('ena 1');
    expect(kebaCommandText('stop', 5)).toBe('ena 0');
    expect(kebaCommandText('unlock', undefined)).toBe('unlock');
    expect(kebaCommandText('set_current_limit', 6)).toBe('curr 6000');
    expect(kebaCommandText('set_current_limit', 16.5)).toBe('curr 16500');
    expect(kebaCommandText('set_current_limit', 63)).toBe('curr 63000');
    expect(kebaCommandText('set_energy', 10)).toBe('setenergy 100000');
    expect(kebaCommandText('set_energy', 0)).toBe('setenergy 0');
  });

  it.each([
    ['set_current_limit', 5.99],
    ['set_current_limit', 63.01],
    ['set_current_limit', undefined],
    ['set_current_limit', Number.NaN],
    ['set_energy', -1],
    ['set_energy', 100_000],
    ['reserve', 10],
    ['display', undefined],
  ])('%s %s is GL_COMMAND_INVALID', (command, value) => {
    expect(codeOf(() => kebaCommandText(command, value))).toBe('GL_COMMAND_INVALID');
  });
});
