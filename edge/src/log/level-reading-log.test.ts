import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isGridlinkError } from '@gridlink/shared';
import { ClassicLevel } from 'classic-level';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seqKey } from './codec.js';
import { openReadingLog, type ReadingLog } from './index.js';
import { readings, storedBytes } from './reading-log.conformance.js';
import { RECORD_MAX_READINGS, readingLines, recordSpans } from './records.js';

let dir: string;
const open: ReadingLog[] = [];

async function openLog(options: { maxBytes?: number } = {}): Promise<ReadingLog> {
  const log = await openReadingLog({ dir, sync: true, ...options });
  open.push(log);
  return log;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gl-log-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((log) => log.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('LevelDB reading log', () => {
  it('counts freed bytes exactly whether an ack matches the ranges read for sending or not', async () => {
    const log = await openLog();
    // Readings of different sizes, so a wrong range would show in the count.
    const rs = readings(1, 40).map((r, i) => ({
      ...r,
      values: { v: i, ...(i % 3 ? { w: i } : {}) },
    }));
    await log.append(rs);
    const all = await log.read(1, 40);
    const bytesOf = (from: number, to: number) =>
      all.filter((r) => r.seq >= from && r.seq <= to).reduce((a, r) => a + storedBytes(r), 0);
    expect(log.stats().bytes).toBe(bytesOf(1, 40));
    await log.readEncoded(1, 10);
    await log.readEncoded(11, 10);
    await log.readEncoded(21, 10);
    await log.ack(20); // two ranges read for sending
    expect(log.stats().bytes).toBe(bytesOf(21, 40));
    await log.ack(25); // inside a range
    expect(log.stats().bytes).toBe(bytesOf(26, 40));
    await log.readEncoded(26, 5);
    await log.ack(36); // a range, then beyond anything read
    expect(log.stats().bytes).toBe(bytesOf(37, 40));
    await log.readEncoded(37, 10, 1); // maxBytes cuts the range to one reading
    await log.ack(40);
    expect(log.stats()).toMatchObject({ bytes: 0, pending: 0 });
  });

  it('keeps epoch, seqs, acks and drop counts across close and reopen', async () => {
    const first = await openLog({ maxBytes: 10_000 });
    await first.append(readings(1, 9));
    await first.ack(3);
    const size = first.stats().bytes / 6;
    await first.close();

    const second = await openLog({ maxBytes: Math.floor(size * 4.5) }); // seq 10 is 1 byte longer
    expect(second.epoch).toBe(first.epoch);
    expect(second.stats()).toMatchObject({ lastSeq: 9, ackedUpTo: 3, pending: 6, dropped: 0 });
    await second.append(readings(1, 0)); // an empty append does not enforce anything
    expect(second.stats().pending).toBe(6);
    await second.append([readings(1, 1)[0]!]);
    expect(second.stats()).toMatchObject({ lastSeq: 10, dropped: 3, droppedUpTo: 6, pending: 4 });
    const before = second.stats();
    await second.close();

    const third = await openLog();
    expect(third.stats()).toEqual(before);
    expect((await third.read(1, 100)).map((r) => r.seq)).toEqual([7, 8, 9, 10]);
  });

  it('never reuses a seq after a restart, even when everything was acked and deleted', async () => {
    const first = await openLog();
    await first.append(readings(1, 5));
    await first.ack(5);
    expect(first.stats()).toMatchObject({ pending: 0, bytes: 0 });
    await first.close();
    const second = await openLog();
    expect(await second.append(readings(6, 1))).toEqual({ firstSeq: 6, lastSeq: 6 });
  });

  it('gets a new epoch when the directory is wiped', async () => {
    const first = await openLog();
    await first.append(readings(1, 2));
    await first.close();
    await rm(dir, { recursive: true });
    const second = await openLog();
    expect(second.epoch).not.toBe(first.epoch);
    expect(second.stats().lastSeq).toBe(0);
  });

  it('refuses a second opener with GL_LOG_LOCKED and leaves the first one working', async () => {
    const first = await openLog();
    await expect(openReadingLog({ dir, sync: false })).rejects.toSatisfy((err) =>
      isGridlinkError(err, 'GL_LOG_LOCKED'),
    );
    expect(await first.append(readings(1, 1))).toEqual({ firstSeq: 1, lastSeq: 1 });
  });

  it('keeps every commit a SIGKILLed writer reported, and continues its seqs', async () => {
    const edgeRoot = fileURLToPath(new URL('../../', import.meta.url));
    const script = fileURLToPath(new URL('./crash-child.fixture.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
      cwd: edgeRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    let epoch = '';
    let reported = 0;
    let lockChecked = false;
    for await (const line of createInterface({ input: child.stdout })) {
      const [word, value] = line.split(' ');
      if (word === 'epoch') epoch = value!;
      if (word !== 'committed') continue;
      reported = Number(value);
      if (!lockChecked) {
        lockChecked = true;
        // Held by another process now: the same code as for a second handle.
        await expect(openReadingLog({ dir, sync: true })).rejects.toSatisfy((err) =>
          isGridlinkError(err, 'GL_LOG_LOCKED'),
        );
      }
      if (reported >= 500) break;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const log = await openLog();
    const { lastSeq } = log.stats();
    expect(log.epoch).toBe(epoch);
    expect(lastSeq).toBeGreaterThanOrEqual(reported);
    expect(lastSeq % 5).toBe(0); // each group commit is all or nothing
    const all = await log.read(1, lastSeq + 1);
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expect(all.every((r) => r.values.n === r.seq)).toBe(true);
    expect(await log.append(readings(1, 1))).toEqual({
      firstSeq: lastSeq + 1,
      lastSeq: lastSeq + 1,
    });
  });
});

describe('LevelDB reading log: records', () => {
  const keysIn = async (path: string) => {
    const db = new ClassicLevel<Buffer, string>(path, {
      keyEncoding: 'buffer',
      valueEncoding: 'utf8',
    });
    await db.open();
    const keys = (await db.keys({ gte: Buffer.from('r'), lt: Buffer.from('s') }).all()).map((k) =>
      Number(k.readBigUInt64BE(1)),
    );
    await db.close();
    return keys;
  };

  it('stores a group commit as records of its first seq, deleted once wholly acknowledged', async () => {
    const log = await openReadingLog({ dir, sync: false, tailCacheBytes: 0 });
    await log.append(readings(1, 30)); // one record
    await log.append(readings(31, 5));
    await log.ack(3); // inside the first record
    expect((await log.read(1, 3)).map((r) => r.seq)).toEqual([4, 5, 6]);
    await log.close();
    expect(await keysIn(dir)).toEqual([1, 31]);
    const again = await openLog();
    expect(again.stats()).toMatchObject({ pending: 32, ackedUpTo: 3 });
    expect(await again.readEncoded(1, 100)).toMatchObject({ firstSeq: 4, lastSeq: 35, count: 32 });
    await again.ack(30);
    await again.close();
    expect(await keysIn(dir)).toEqual([31]);
  });

  it('cuts a large append into bounded records and reads across their boundaries', async () => {
    const log = await openReadingLog({ dir, sync: false, tailCacheBytes: 0 });
    const n = 2 * RECORD_MAX_READINGS + 500;
    await log.append(readings(1, n));
    const all = await log.readEncoded(1, n);
    expect(all).toMatchObject({ firstSeq: 1, lastSeq: n, count: n });
    const json = readingLines(all.chunks);
    expect(json.map((j) => JSON.parse(j).seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    const starts = [1];
    for (const [, end] of recordSpans(json).slice(0, -1)) starts.push(end + 1);
    for (const start of starts.slice(1))
      expect((await log.read(start - 1, 2)).map((r) => r.seq)).toEqual([start - 1, start]);
    await log.ack(starts[2] as number); // the third record's first reading
    await log.close();
    expect(await keysIn(dir)).toEqual(starts.slice(2));
  });

  it('opens a store of the first layout (one reading per record, meta version 1) and upgrades its meta', async () => {
    const db = new ClassicLevel<Buffer, string>(dir, {
      keyEncoding: 'buffer',
      valueEncoding: 'utf8',
    });
    await db.open();
    const old = readings(1, 6).map((r, i) => ({ seq: i + 1, ...r }));
    for (const r of old) await db.put(seqKey(r.seq), JSON.stringify(r));
    const bytes = old.reduce((a, r) => a + storedBytes(r), 0);
    const meta = {
      version: 1,
      epoch: 'e-first-layout',
      lastSeq: 6,
      ackedUpTo: 0,
      dropped: 0,
      droppedUpTo: 0,
      bytes,
    };
    await db.put(Buffer.from('m'), JSON.stringify(meta));
    await db.close();

    const log = await openReadingLog({ dir, sync: true });
    expect(log.stats()).toMatchObject({ epoch: 'e-first-layout', pending: 6, bytes });
    expect(await log.read(3, 2)).toEqual(old.slice(2, 4));
    await log.ack(2);
    await log.append(readings(7, 3));
    expect((await log.readEncoded(1, 100)).count).toBe(7);
    await log.close();
    expect(await keysIn(dir)).toEqual([3, 4, 5, 6, 7]);
    const check = new ClassicLevel<Buffer, string>(dir, {
      keyEncoding: 'buffer',
      valueEncoding: 'utf8',
    });
    await check.open();
    expect(JSON.parse((await check.get(Buffer.from('m'))) as string).version).toBe(2);
    await check.close();
  });
});
