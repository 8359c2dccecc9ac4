import { type DecodedValue, getProfile, type RegisterField } from '@gridlink/shared';
import { ProfileRegisterBank } from '../meters/index.js';
import {
  ExceptionCode,
  ModbusException,
  type RegisterBank,
  type ReplyShaper,
} from '../modbus/index.js';
import { KebaCharger, type KebaChargerOptions } from './keba-charger.js';
import type { KebaEvent } from './keba-station.js';

/** KEBA stations answer Modbus TCP as unit id 255 only (KEBA P30 Modbus TCP guide). */
export const KEBA_UNIT_ID = 255;

const KEBA_MODBUS_FAULTS = [
  'no-reply',
  'late-reply',
  'wrong-unit',
  'exception',
  'short-frame',
  'link-flap',
  'connector-fault',
] as const;

/** Product type register value: a P30 (6 digits from 3), meter fitted (digit 5 ≠ 0), no RFID. */
const PRODUCT_TYPE = 311_020;
/** Firmware register: one byte each of 3.10.16 from the most significant byte. */
const FIRMWARE = 0x03_0a_10_00;

/**
 * A KEBA P30 station on Modbus TCP, served through `shared/profiles/keba-p30.json` by a
 * ProfileRegisterBank: reads of one 32-bit value (2 registers) at a time, write-only control
 * registers 5004-5014 by function 06 (16 is 01, illegal function; reads of them are 02). A
 * write the station refuses (current outside 0 or 6-63 A, 5014 other than 0/1, unlock while
 * charging) is exception 03 and changes nothing.
 */
export class KebaModbusCharger extends KebaCharger {
  readonly unitId = KEBA_UNIT_ID;
  private readonly registers: ProfileRegisterBank;

  constructor(options: KebaChargerOptions & { endpoint: Record<string, unknown> }) {
    super(options, KEBA_MODBUS_FAULTS);
    this.endpoint = { ...options.endpoint, unitId: KEBA_UNIT_ID };
    this.registers = new ProfileRegisterBank(getProfile('keba-p30'), {
      beforeWrite: (changes) => this.acceptWrite(changes),
      onWrite: () => this.refresh(),
    });
    this.refresh();
  }

  /** What the Modbus server reads and writes. */
  get bank(): RegisterBank {
    return this.registers;
  }

  get shapeReply(): ReplyShaper {
    return this.faults.shapeModbus;
  }

  protected served(): Record<string, unknown> {
    return this.registers.snapshot();
  }

  protected override changed(): void {
    this.refresh();
  }

  /** Function 06 writes one register: one field, one station command, or exception 03. */
  private acceptWrite(changes: ReadonlyArray<{ field: RegisterField; value: DecodedValue }>): void {
    for (const { field, value } of changes) {
      const e = eventFor(field.name, Number(value));
      const t = e ? this.command(e, field.name) : undefined;
      if (!t?.ok) {
        throw new ModbusException(
          ExceptionCode.IllegalDataValue,
          `${this.deviceId}: ${t?.reason ?? `${field.name} = ${value} is not accepted`}`,
        );
      }
    }
  }

  private refresh(): void {
    // Called by the base class before this class's fields exist.
    if (!this.registers) return;
    const m = this.measurements();
    const s = this.station;
    this.registers.load({
      status: this.stateCode,
      plug: this.plugState(),
      fault_code: s.errorCode,
      current_l1: m.i[0] / 1000,
      current_l2: m.i[1] / 1000,
      current_l3: m.i[2] / 1000,
      serial_number: Number(this.serial),
      product_type: PRODUCT_TYPE,
      firmware_version: FIRMWARE,
      power: m.p / 1000,
      energy_total: m.eTotal / 10_000,
      voltage_l1: m.u[0],
      voltage_l2: m.u[1],
      voltage_l3: m.u[2],
      power_factor: m.pf / 1000,
      current_limit: this.offeredMa() / 1000,
      current_limit_hw: s.currentHwMa / 1000,
      rfid_tag: 0,
      session_energy: m.ePres / 10_000,
      failsafe_current: 0,
      failsafe_timeout: 0,
    });
  }
}

/** The station command a write of one control register means (values in the profile's units). */
function eventFor(field: string, value: number): KebaEvent | undefined {
  switch (field) {
    case 'current_setpoint': // A (register: mA)
      return { type: 'current', mA: Math.round(value * 1000) };
    case 'energy_limit_setpoint': // kWh (register: 10 Wh) → 0.1 Wh
      return { type: 'energy-limit', value: Math.round(value * 100) * 100 };
    case 'unlock_plug':
      return { type: 'unlock', charging: false };
    case 'enable_station':
      return value === 0 || value === 1 ? { type: 'enable', on: value === 1 } : undefined;
    default:
      return undefined;
  }
}
