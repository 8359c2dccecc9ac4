import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../src/alarms/index.js';
import { parseCentralConfig } from '../src/config/index.js';
import { type Central, startCentral } from '../src/index.js';
import type { Scheduler } from '../src/jobs/index.js';
import { centralCommand } from '../src/testing/index.js';
import { readingFeeder } from './helpers/readings.js';

const configError = (input: unknown) => {
  try {
    parseCentralConfig(input);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('config accepted');
};

describe('central config: alarms and metering sections', () => {
  it('defaults are the rules the sweep used before (DEFAULT_RULES) and a 1 h interval gap', () => {
    const c = parseCentralConfig({});
    expect(c.alarms).toEqual(DEFAULT_RULES);
    expect(c.alarms.excess.singleReadingKwh).toBe(1000);
    expect(c.metering).toEqual({ intervalGapSeconds: 3600 });
  });

  it('takes thresholds', () => {
    const c = parseCentralConfig({
      alarms: {
        baseline: { factor: 1.5 },
        voltage: { bands: [{ nominal: 220, adequate: [215, 225], precarious: [210, 230] }] },
        excess: { singleReadingKwh: 299.999 },
      },
      metering: { intervalGapSeconds: 900 },
    });
    expect(c.alarms.baseline).toEqual({ factor: 1.5, minDays: 7 });
    expect(c.alarms.invoice).toEqual(DEFAULT_RULES.invoice);
    expect(c.alarms.voltage.bands).toHaveLength(1);
    expect(c.metering.intervalGapSeconds).toBe(900);
  });

  it.each([
    [{ alarms: { baseline: { factr: 3 } } }, 'alarms.baseline: Unrecognized key: "factr"'],
    [{ alarms: { excess: { singleReadingKwh: -1 } } }, 'alarms.excess.singleReadingKwh'],
    [{ alarms: { invoice: { percent: 12.5 } } }, 'alarms.invoice.percent'],
    [{ alarms: { invoice: { window: 2, minPrevious: 3 } } }, 'alarms.invoice.minPrevious'],
    [
      {
        alarms: {
          voltage: { bands: [{ nominal: 220, adequate: [202, 231], precarious: [205, 233] }] },
        },
      },
      'alarms.voltage.bands.0.precarious',
    ],
    [{ alarms: { voltage: { bands: [] } } }, 'alarms.voltage.bands'],
    [{ alarms: { edgeOfflineAfterMs: 5 } }, 'alarms.edgeOfflineAfterMs'],
    [{ metering: { intervalGapSeconds: 0 } }, 'metering.intervalGapSeconds'],
    [{ metering: { gap: 60 } }, 'metering: Unrecognized key: "gap"'],
  ])('refuses %j naming the key path', (input, path) => {
    const err = configError(input);
    expect(err.code).toBe('GL_CONFIG_INVALID');
    expect(err.message).toContain(path);
  });
});

describe('gridlink-central with a bad alarms section', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gl-central-alarms-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 naming the key path, before the database starts', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ alarms: { excess: { singleReadingKwh: 'lots' } } }));
    const r = spawnSync(
      process.execPath,
      [
        ...centralCommand(),
        '--config',
        file,
        '--data-dir',
        join(dir, 'data'),
        '--http-port',
        '0',
        '--mqtt-port',
        '0',
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toContain('GL_CONFIG_INVALID');
    expect(r.stderr).toContain('alarms.excess.singleReadingKwh');
    expect(r.status).toBe(2);
    expect(r.stdout).not.toContain('ready');
  });
});

describe('configured thresholds reach the scheduled sweep', () => {
  let central: Central | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await central?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a voltage band and an excess threshold from the config decide the alarms', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gl-alarms-config-'));
    const tasks = new Map<string, (at: Date) => Promise<void>>();
    const scheduler: Scheduler = {
      schedule(_e, options, task) {
        tasks.set(options.name, task);
        return { stop: () => tasks.delete(options.name) };
      },
    };
    central = await startCentral(
      {
        dataDir,
        http: { port: 0 },
        mqtt: { mode: 'embedded', port: 0 },
        log: { level: 'silent' },
        alarms: {
          // 212 V is adequate under PRODIST (202–231), precarious under this band.
          voltage: { bands: [{ nominal: 220, adequate: [215, 225], precarious: [210, 230] }] },
          excess: { singleReadingKwh: 10 },
        },
      },
      { logger: pino({ level: 'silent' }), scheduler },
    );
    const db = central.database.db;
    const feed = readingFeeder(db, 'edge-cfg');
    await feed([
      {
        deviceId: 'reg',
        at: '2024-11-10T10:00:00Z',
        values: { energy_import: 5, voltage_l1: 212 },
      },
      { deviceId: 'int', at: '2024-11-10T10:00:00Z', values: { energy_interval: 10 } },
      { deviceId: 'int', at: '2024-11-10T10:05:00Z', values: { energy_interval: 10.001 } },
    ]);
    await tasks.get('alarms.sweep')?.(new Date('2024-11-10T12:00:00Z'));
    const alarms = await db.selectFrom('alarms').select(['type', 'details']).execute();
    const types = alarms.map((a) => [a.type, a.details]);
    expect(types).toEqual(
      expect.arrayContaining([
        ['voltage.range', expect.objectContaining({ volts: 212, class: 'precarious' })],
        // 10 kWh is not above 10; 10.001 is.
        [
          'consumption.excess',
          expect.objectContaining({ readingKwh: '10.001', thresholdKwh: '10.000' }),
        ],
      ]),
    );
    expect(types.filter(([t]) => t === 'consumption.excess')).toHaveLength(1);
  });
});
