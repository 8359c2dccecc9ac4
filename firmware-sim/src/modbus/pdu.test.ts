import { describe, expect, it } from 'vitest';
import { unpackBits } from './bit-packing.js';
import { ModbusException } from './exception-codes.js';
import { MemoryRegisterBank } from './memory-register-bank.js';
import { respondToPdu } from './pdu.js';
import type { RegisterBank } from './register-bank.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const respond = (request: string, bank: RegisterBank) =>
  respondToPdu(hex(request), bank)?.toString('hex');

/** A bank laid out like the worked examples of Modbus Application Protocol v1.1b3 §6. */
function exampleBank(): MemoryRegisterBank {
  const bank = new MemoryRegisterBank();
  // §6.1 example: coils 20..38 (addresses 19..37) hold CD 6B 05.
  unpackBits(hex('CD 6B 05'), 19).forEach((b, i) => {
    bank.coils[19 + i] = b ? 1 : 0;
  });
  // §6.2 example: discrete inputs 197..218 (addresses 196..217) hold AC DB 35.
  unpackBits(hex('AC DB 35'), 22).forEach((b, i) => {
    bank.discreteInputs[196 + i] = b ? 1 : 0;
  });
  // §6.3 example: registers 108..110 (addresses 107..109) hold 0x022B, 0x0000, 0x0064.
  bank.holdingRegisters.set([0x022b, 0x0000, 0x0064], 107);
  // §6.4 example: input register 9 (address 8) holds 0x000A.
  bank.inputRegisters[8] = 0x000a;
  return bank;
}

describe('respondToPdu: reads, bank → wire (Modbus Application Protocol v1.1b3 §6)', () => {
  it('§6.1 read coils', () => {
    expect(
      respond(
        '01' + //    function 01 read coils
          '00 13' + // starting address 19 (coil 20)
          '00 13', //  quantity 19
        exampleBank(),
      ),
    ).toBe(
      hex(
        '01' + //    function 01
          '03' + //  byte count: ceil(19 / 8) = 3
          'CD' + //  coils 27..20 = 1100 1101 (coil 20 is the LSB)
          '6B' + //  coils 35..28 = 0110 1011
          '05', //   coils 38..36 = 101, five unused high bits are 0
      ).toString('hex'),
    );
  });

  it('§6.2 read discrete inputs', () => {
    expect(
      respond(
        '02' + //    function 02 read discrete inputs
          '00 C4' + // starting address 196 (input 197)
          '00 16', //  quantity 22
        exampleBank(),
      ),
    ).toBe(
      hex(
        '02' + //    function 02
          '03' + //  byte count 3
          'AC DB' + // inputs 197..212
          '35', //   inputs 213..218, two unused high bits are 0
      ).toString('hex'),
    );
  });

  it('§6.3 read holding registers', () => {
    expect(
      respond(
        '03' + //    function 03 read holding registers
          '00 6B' + // starting address 107 (register 108)
          '00 03', //  quantity 3
        exampleBank(),
      ),
    ).toBe(
      hex(
        '03' + //    function 03
          '06' + //  byte count 2 × 3
          '02 2B' + // register 108 = 555
          '00 00' + // register 109 = 0
          '00 64', //  register 110 = 100
      ).toString('hex'),
    );
  });

  it('§6.4 read input registers', () => {
    expect(
      respond(
        '04' + //    function 04 read input registers
          '00 08' + // starting address 8 (register 9)
          '00 01', //  quantity 1
        exampleBank(),
      ),
    ).toBe(
      hex(
        '04' + //    function 04
          '02' + //  byte count 2
          '00 0A', //  register 9 = 10
      ).toString('hex'),
    );
  });

  it('reads the largest quantities allowed: 2000 bits, 125 registers', () => {
    const bank = new MemoryRegisterBank();
    const bits = respondToPdu(hex('01 0000 07D0'), bank)!; // quantity 2000
    expect([bits[0], bits[1], bits.length]).toEqual([0x01, 250, 252]); // 250 data bytes
    const regs = respondToPdu(hex('03 0000 007D'), bank)!; // quantity 125
    expect([regs[0], regs[1], regs.length]).toEqual([0x03, 250, 252]);
  });
});

describe('respondToPdu: writes, wire → bank (§6.5, §6.6, §6.11, §6.12)', () => {
  it('§6.5 write single coil: FF00 is on, 0000 is off, the response echoes the request', () => {
    const bank = new MemoryRegisterBank();
    const on =
      '05' + //    function 05 write single coil
      '00 AC' + // output address 172 (coil 173)
      'FF 00'; //  ON
    expect(respond(on, bank)).toBe(hex(on).toString('hex'));
    expect(bank.coils[172]).toBe(1);
    const off =
      '05' + //    function 05
      '00 AC' + // output address 172
      '00 00'; //  OFF
    expect(respond(off, bank)).toBe(hex(off).toString('hex'));
    expect(bank.coils[172]).toBe(0);
  });

  it('§6.6 write single register: the response echoes the request', () => {
    const bank = new MemoryRegisterBank();
    const request =
      '06' + //    function 06 write single register
      '00 01' + // register address 1 (register 2)
      '00 03'; //  value 3
    expect(respond(request, bank)).toBe(hex(request).toString('hex'));
    expect(bank.holdingRegisters[1]).toBe(3);
  });

  it('§6.11 write multiple coils', () => {
    const bank = new MemoryRegisterBank();
    expect(
      respond(
        '0F' + //    function 15 write multiple coils
          '00 13' + // starting address 19 (coil 20)
          '00 0A' + // quantity 10
          '02' + //    byte count 2
          'CD' + //    coils 27..20 = 1100 1101
          '01', //     coils 29..28 = 01
        bank,
      ),
    ).toBe(
      hex(
        '0F' + //    function 15
          '00 13' + // starting address 19
          '00 0A', //  quantity 10
      ).toString('hex'),
    );
    expect(Array.from(bank.coils.subarray(19, 29))).toEqual([1, 0, 1, 1, 0, 0, 1, 1, 1, 0]);
    expect(bank.coils[29]).toBe(0); // the padding bits of the last byte are not written
  });

  it('§6.12 write multiple registers', () => {
    const bank = new MemoryRegisterBank();
    expect(
      respond(
        '10' + //    function 16 write multiple registers
          '00 01' + // starting address 1 (register 2)
          '00 02' + // quantity 2
          '04' + //    byte count 4
          '00 0A' + // register 2 = 10
          '01 02', //  register 3 = 258
        bank,
      ),
    ).toBe(
      hex(
        '10' + //    function 16
          '00 01' + // starting address 1
          '00 02', //  quantity 2
      ).toString('hex'),
    );
    expect(Array.from(bank.holdingRegisters.subarray(1, 3))).toEqual([10, 258]);
  });
});

describe('respondToPdu: exception responses (§7)', () => {
  const bank = new MemoryRegisterBank({ size: 100 });
  const cases: Array<[string, string, string]> = [
    // [why, request, exception response: function | 0x80, code]
    ['01 for a function the server does not implement (07 read exception status)', '07', '87 01'],
    ['01 for function 2B (encapsulated interface)', '2B 0E 01 00', 'AB 01'],
    ['01 for a request that is itself an exception function code', '83 00 00 00 01', '83 01'],
    ['03 for a read of 0 registers', '03 0000 0000', '83 03'],
    ['03 for a read of 126 registers', '04 0000 007E', '84 03'],
    ['03 for a read of 0 coils', '01 0000 0000', '81 03'],
    ['03 for a read of 2001 coils', '01 0000 07D1', '81 03'],
    ['03 for a read of 2001 discrete inputs', '02 0000 07D1', '82 03'],
    ['02 for a range past register 65535', '03 FFFF 0002', '83 02'],
    ['02 for a range the bank does not serve', '03 0063 0002', '83 02'], // 99..100, size 100
    ['02 for a coil the bank does not serve', '05 0064 FF00', '85 02'],
    ['03 for a coil value other than FF00/0000', '05 0000 1234', '85 03'],
    ['03 for a coil value of 0001', '05 0000 0001', '85 03'],
    ['03 for a write of 0 coils', '0F 0000 0000 00', '8F 03'],
    ['03 for a write of 1969 coils', '0F 0000 07B1 F7', '8F 03'],
    ['03 for a coil byte count that disagrees with the quantity', '0F 0000 000A 01 CD', '8F 03'],
    ['03 for coil data shorter than its byte count', '0F 0000 000A 02 CD', '8F 03'],
    ['03 for a write of 124 registers', '10 0000 007C F8', '90 03'],
    ['03 for a register byte count that disagrees', '10 0000 0002 03 000A 01', '90 03'],
    ['03 for register data shorter than its byte count', '10 0000 0002 04 000A', '90 03'],
    ['03 for register data longer than its byte count', '10 0000 0001 02 000A 00', '90 03'],
    ['02 for a register write the bank does not serve', '10 0063 0002 04 0001 0002', '90 02'],
  ];
  it.each(cases)('%s', (_why, request, response) => {
    expect(respond(request, bank)).toBe(hex(response).toString('hex'));
  });

  const short: Array<[string, string]> = [
    ['03', '83 03'], // function code alone
    ['03 00', '83 03'], // half a starting address
    ['03 00 00 00', '83 03'], // half a quantity
    ['03 00 00 00 01 00', '83 03'], // one byte too many: "the implied length is incorrect"
    ['01 00 00', '81 03'],
    ['05 00 00 FF', '85 03'],
    ['06 00 01', '86 03'],
    ['06 00 01 00 03 00', '86 03'],
    ['0F 00 00 00', '8F 03'],
    ['10 00 00 00 01', '90 03'],
  ];
  it.each(short)('03 for the short or long PDU %s', (request, response) => {
    expect(respond(request, bank)).toBe(hex(response).toString('hex'));
  });

  it('answers nothing to an empty PDU, which has no function code', () => {
    expect(respondToPdu(Buffer.alloc(0), bank)).toBeUndefined();
  });

  it('04 when the bank fails, returns the wrong count, or returns a non-word', () => {
    const failing: RegisterBank = new MemoryRegisterBank();
    failing.readInputRegisters = () => {
      throw new Error('sensor bus down');
    };
    failing.readHoldingRegisters = () => [1]; // one register where two were asked for
    failing.readCoils = () => [true]; // one coil where eight were asked for
    failing.readDiscreteInputs = (_a, n) => new Array<boolean>(n).fill(true);
    const original = failing.readDiscreteInputs;
    expect(respond('04 0000 0001', failing)).toBe('8404');
    expect(respond('03 0000 0002', failing)).toBe('8304');
    expect(respond('01 0000 0008', failing)).toBe('8104');
    expect(respond('02 0000 0003', failing)).toBe('020107'); // the well-behaved one still works
    failing.readDiscreteInputs = original;
    const nonWord: RegisterBank = new MemoryRegisterBank();
    nonWord.readHoldingRegisters = () => [70000];
    nonWord.readInputRegisters = () => [1.5];
    expect(respond('03 0000 0001', nonWord)).toBe('8304');
    expect(respond('04 0000 0001', nonWord)).toBe('8404');
  });

  it('passes any exception code a bank throws through to the response', () => {
    const busy = new MemoryRegisterBank();
    busy.writeSingleRegister = () => {
      throw new ModbusException(0x06);
    };
    expect(respond('06 0000 0001', busy)).toBe('8606');
  });
});
