/**
 * Profiles and limits for bench/edge-poll.ts.
 */
import { getProfile, type Profile, parseProfile, planBlocks } from '@gridlink/shared';

/**
 * The first 40 input registers of the SDM630 as one profile: its fields below register 40 plus
 * a float32 `reg_N` for every other register pair, so the planner makes exactly one 40-register
 * read (function 04, address 0, count 40). The simulator's SDM630 serves that span (gaps read 0).
 */
export function sdm630First40(): Profile {
  const sdm = getProfile('eastron-sdm630');
  const low = sdm.fields.filter((f) => f.fn === 4 && f.type === 'float32' && f.address + 2 <= 40);
  const used = new Set(low.map((f) => f.address));
  const filler = [];
  for (let a = 0; a < 40; a += 2)
    if (!used.has(a))
      filler.push({ name: `reg_${a}`, quantity: 'raw', fn: 4, address: a, type: 'float32' });
  const profile = parseProfile(
    {
      id: 'bench-sdm630-40',
      vendor: 'GridLink bench',
      model: 'SDM630, input registers 0-39',
      kind: 'meter',
      reference: 'bench/lib/edge-poll-profile.ts: eastron-sdm630 fields below 40 plus filler',
      fields: [...low, ...filler],
    },
    'bench-sdm630-40',
  );
  const blocks = planBlocks(profile.fields, { maxGap: 10, maxRegisters: 125 });
  if (blocks.length !== 1 || blocks[0]?.count !== 40)
    throw new Error(`bench profile plans ${JSON.stringify(blocks.map((b) => b.count))}, not [40]`);
  return profile;
}

/**
 * What one RS-485 line allows for back-to-back reads of `registers` holding/input registers
 * (Modbus over Serial Line v1.02): request = address, function, start (2), count (2), CRC (2) =
 * 8 characters; reply = address, function, byte count, 2 × registers data, CRC (2) = 5 + 2n;
 * 11 bits per character (§2.5.1); a t3.5 silence after each frame (§2.5.1.1; 1.75 ms above
 * 19200 baud); plus the slave's reply delay.
 */
export function rtuLimit(baudRate: number, registers: number, replyDelayMs: number) {
  const charMs = (11 * 1000) / baudRate;
  const requestChars = 8;
  const replyChars = 5 + 2 * registers;
  const wireMs = (requestChars + replyChars) * charMs;
  const gapMs = 2 * (baudRate > 19_200 ? 1.75 : 3.5 * charMs);
  const cycleMs = wireMs + gapMs + replyDelayMs;
  return { requestChars, replyChars, wireMs, gapMs, cycleMs, perSecond: 1000 / cycleMs };
}
