import { describe, expect, it } from 'vitest';
import { createRandom } from '../random/index.js';
import { ModbusException } from './exception-codes.js';
import { MemoryRegisterBank } from './memory-register-bank.js';
import { respondToPdu } from './pdu.js';

const served = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0f, 0x10];

describe('respondToPdu on random bytes', () => {
  it('never throws: 10,000 random PDUs get a well-formed response or an exception', () => {
    const random = createRandom(20240601);
    const int = (n: number) => Math.floor(random() * n);
    const bank = new MemoryRegisterBank({ size: 1000 });
    // Every fifth call of the flaky bank fails in one of the ways a device can.
    let calls = 0;
    const flaky = new MemoryRegisterBank({ size: 1000 });
    flaky.readInputRegisters = (a, n) => {
      calls++;
      if (calls % 5 === 0) throw new ModbusException(0x06);
      if (calls % 5 === 1) throw new TypeError('boom');
      return new Uint16Array(n).fill(a & 0xffff);
    };
    const outcomes = new Map<string, number>();
    const bytes = (n: number) => Array.from({ length: n }, () => int(256));
    /** A request that is well formed more often than not, then maybe damaged. */
    const plausible = (): Buffer => {
      const fc = served[int(served.length)]!;
      const address = int(1100);
      const quantity = fc <= 0x02 || fc === 0x0f ? int(2100) : int(130);
      const head = [fc, address >> 8, address & 0xff, quantity >> 8, quantity & 0xff];
      let body: number[] = [];
      if (fc === 0x0f) body = [Math.ceil(quantity / 8) & 0xff, ...bytes(Math.ceil(quantity / 8))];
      if (fc === 0x10) body = [(quantity * 2) & 0xff, ...bytes(quantity * 2)];
      if (fc === 0x05) head.splice(3, 2, ...(int(2) ? [0xff, 0x00] : [0x00, int(2)]));
      const pdu = Buffer.from([...head, ...body].slice(0, 253));
      const damage = int(4);
      if (damage === 0) return pdu.subarray(0, int(pdu.length + 1)); // truncated
      if (damage === 1) return Buffer.concat([pdu, Buffer.from(bytes(1 + int(3)))]); // too long
      if (damage === 2) pdu[int(pdu.length)] = int(256); // one byte changed
      return pdu;
    };
    for (let i = 0; i < 10_000; i++) {
      const kind = int(3);
      // Pure noise, noise behind a served function code, or a plausible request.
      let pdu: Buffer = Buffer.from(bytes(kind === 0 ? int(261) : int(12)));
      if (kind === 1 && pdu.length > 0) pdu[0] = served[int(served.length)]!;
      if (kind === 2) pdu = plausible();
      const length = pdu.length;
      const response = respondToPdu(pdu, int(2) === 0 ? bank : flaky);
      if (length === 0) {
        expect(response).toBeUndefined();
        continue;
      }
      expect(response).toBeInstanceOf(Buffer);
      const fc = pdu[0]!;
      if (response![0] === ((fc | 0x80) & 0xff) && response!.length === 2) {
        // Exception response (§7): one of the codes this server uses.
        expect([0x01, 0x02, 0x03, 0x04, 0x06]).toContain(response![1]);
        if (!served.includes(fc)) expect(response![1]).toBe(0x01);
        outcomes.set(
          `exception ${response![1]}`,
          (outcomes.get(`exception ${response![1]}`) ?? 0) + 1,
        );
        continue;
      }
      expect(response![0]).toBe(fc);
      expect(served).toContain(fc);
      if (fc <= 0x04)
        expect(response!.length).toBe(2 + response![1]!); // byte count agrees
      else expect(response!.length).toBe(5);
      outcomes.set('normal', (outcomes.get('normal') ?? 0) + 1);
    }
    // The random walk reached normal responses and every exception path.
    expect(outcomes.get('normal')).toBeGreaterThan(0);
    for (const code of [1, 2, 3, 4]) expect(outcomes.get(`exception ${code}`)).toBeGreaterThan(0);
  });
});
