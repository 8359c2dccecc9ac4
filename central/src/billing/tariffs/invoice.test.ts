import { isGridlinkError } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import type { Centavos } from '../../money/index.js';
import {
  type BillingInput,
  brazilianNationalHolidays,
  computeInvoice,
  easterSunday,
  grossUp,
  type Invoice,
  type TariffInput,
} from './index.js';

/** Builder: a March 2024 single-phase bill in America/Bahia; override what a test is about. */
function bill(
  tariff: Partial<TariffInput> & Pick<TariffInput, 'energy'>,
  over: Partial<BillingInput> = {},
): Invoice {
  return computeInvoice({
    period: { start: '2024-03-01', end: '2024-04-01' },
    connection: 'single-phase',
    consumption: { kind: 'total', kwh: 100 },
    ...over,
    tariff: { id: 't', minimumAvailabilityKwh: false, ...tariff },
  });
}

const amounts = (inv: Invoice) => inv.lines.map((l) => [l.code, l.amount]);

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isGridlinkError(err, 'GL_BILLING_INPUT_INVALID')).toBe(true);
    return (err as { details: { reason: string } }).details.reason;
  }
  throw new Error('expected a GridlinkError');
}

describe('flat', () => {
  // [name, R$/kWh, kWh, centavos, arithmetic]
  const rows: Array<[string, string, string | number, number]> = [
    // first metering system: sum of interval readings × R$ 1.07
    ['legacy 1: 250 kWh × 1.07', '1.07', 250, 26750], // 250 × 1.07 = 267.50
    ['legacy 1: 123.456 kWh × 1.07', '1.07', '123.456', 13210], // 132.09792 → 132.10
    ['legacy 1: 1000 kWh × 1.07', '1.07', 1000, 107000], // = 1070.00
    // second metering system: cumulative register × R$ 0.40
    ['legacy 2: 312.5 kWh × 0.40', '0.40', '312.5', 12500], // = 125.00
    ['legacy 2: 1234.567 kWh × 0.40', '0.40', '1234.567', 49383], // 493.8268 → 493.83
    ['legacy 2: 0.011 kWh × 0.40', '0.40', '0.011', 0], // 0.0044 → 0.00 (0.44 centavo)
    // half-even at the centavo
    ['tie down: 1 kWh × 0.125', '0.125', 1, 12], // 12.5 centavos → 12 (even)
    ['tie up: 3 kWh × 0.125', '0.125', 3, 38], // 37.5 centavos → 38 (even)
    ['8 decimals: 150 kWh × 0.65432100', '0.65432100', 150, 9815], // 98.1481500 → 98.15
  ];
  it.each(rows)('%s', (_name, price, kwh, expected) => {
    const inv = bill(
      { energy: { model: 'flat', pricePerKwh: price } },
      { consumption: { kind: 'total', kwh } },
    );
    expect(inv.totals.energy).toBe(expected);
    expect(inv.totals.total).toBe(expected);
  });

  it('sums an hourly series when the model does not need it', () => {
    // 3 × 0.5 kWh = 1.5 kWh × 1.07 = 1.605 → 160.5 centavos → 160 (even)
    const inv = bill(
      { energy: { model: 'flat', pricePerKwh: '1.07' } },
      {
        consumption: {
          kind: 'hourly',
          samples: ['10', '11', '12'].map((h) => ({ start: `2024-03-04T${h}:00:00Z`, kwh: 0.5 })),
        },
      },
    );
    expect(inv.consumptionWh).toBe(1500);
    expect(inv.totals.total).toBe(160);
  });
});

describe('tiered', () => {
  const energy = {
    model: 'tiered' as const,
    blocks: [
      { upToKwh: 30, pricePerKwh: '0.30' }, // (0, 30]
      { upToKwh: 100, pricePerKwh: '0.50' }, // (30, 100]
      { upToKwh: 220, pricePerKwh: '0.75' }, // (100, 220]
      { upToKwh: null, pricePerKwh: '0.90' }, // (220, ∞)
    ],
  };
  const rows: Array<[string | number, Array<[string, number]>, number]> = [
    // 250 kWh: 30 × 0.30 = 9.00 | 70 × 0.50 = 35.00 | 120 × 0.75 = 90.00 | 30 × 0.90 = 27.00
    [
      250,
      [
        ['energy.tier-1', 900],
        ['energy.tier-2', 3500],
        ['energy.tier-3', 9000],
        ['energy.tier-4', 2700],
      ],
      16100,
    ],
    // 100 kWh exactly: the bound belongs to its block → 9.00 + 35.00
    [
      100,
      [
        ['energy.tier-1', 900],
        ['energy.tier-2', 3500],
      ],
      4400,
    ],
    // 100.001 kWh: 1 Wh in block 3 → 0.001 × 0.75 = 0.075 centavo → 0
    [
      '100.001',
      [
        ['energy.tier-1', 900],
        ['energy.tier-2', 3500],
        ['energy.tier-3', 0],
      ],
      4400,
    ],
    // 17.5 kWh: 17.5 × 0.30 = 5.25
    ['17.5', [['energy.tier-1', 525]], 525],
    // 0 kWh: no lines
    [0, [], 0],
  ];
  it.each(rows)('%s kWh', (kwh, lines, total) => {
    const inv = bill({ energy }, { consumption: { kind: 'total', kwh } });
    expect(amounts(inv)).toEqual(lines);
    expect(inv.totals.total).toBe(total);
  });

  it.each([
    [[{ upToKwh: 30, pricePerKwh: '1' }]], // last block not open
    [
      [
        { upToKwh: null, pricePerKwh: '1' },
        { upToKwh: 30, pricePerKwh: '1' },
      ],
    ], // open block not last
    [
      [
        { upToKwh: 50, pricePerKwh: '1' },
        { upToKwh: 50, pricePerKwh: '1' },
        { upToKwh: null, pricePerKwh: '1' },
      ],
    ], // bounds not rising
  ])('rejects bad blocks %#', (blocks) => {
    expect(reasonOf(() => bill({ energy: { model: 'tiered', blocks } }))).toBe('tariff.tiers');
  });
});

describe('minimum availability (custo de disponibilidade)', () => {
  const flat = { model: 'flat' as const, pricePerKwh: '0.80' };
  const withMinimum = { energy: flat, minimumAvailabilityKwh: undefined };
  // [connection, kWh consumed, minimum kWh, energy centavos, top-up centavos]
  const rows: Array<[BillingInput['connection'], number, number, number, number]> = [
    ['single-phase', 12, 30, 960, 1440], // 12 × 0.80 = 9.60; (30 − 12) = 18 × 0.80 = 14.40
    ['two-phase', 20, 50, 1600, 2400], // 20 × 0.80 = 16.00; 30 × 0.80 = 24.00
    ['three-phase', 0, 100, 0, 8000], // nothing consumed: 100 × 0.80 = 80.00
    ['three-phase', 100, 100, 8000, 0], // at the minimum: no top-up
    ['single-phase', 31, 30, 2480, 0], // above: 31 × 0.80 = 24.80
  ];
  it.each(rows)('%s, %s kWh', (connection, kwh, minKwh, energy, topUp) => {
    const inv = computeInvoice({
      period: { start: '2024-03-01', end: '2024-04-01' },
      connection,
      consumption: { kind: 'total', kwh },
      tariff: { id: 't', ...withMinimum },
    });
    expect(inv.minimumWh).toBe(minKwh * 1000);
    expect(inv.billedWh).toBe(Math.max(kwh, minKwh) * 1000);
    expect(inv.totals.energy).toBe(energy);
    expect(inv.totals.availability).toBe(topUp);
    // billed = max(consumption, minimum) at the flat price
    expect(inv.totals.total).toBe(Math.max(kwh, minKwh) * 80);
  });

  it('continues through the tiers', () => {
    // three-phase, 20 kWh: 20 × 0.30 = 6.00; top-up 80 kWh = 10 × 0.30 + 70 × 0.50 = 3.00 + 35.00
    const inv = computeInvoice({
      period: { start: '2024-03-01', end: '2024-04-01' },
      connection: 'three-phase',
      consumption: { kind: 'total', kwh: 20 },
      tariff: {
        id: 't',
        energy: {
          model: 'tiered',
          blocks: [
            { upToKwh: 30, pricePerKwh: '0.30' },
            { upToKwh: null, pricePerKwh: '0.50' },
          ],
        },
      },
    });
    expect(amounts(inv)).toEqual([
      ['energy.tier-1', 600],
      ['availability', 3800],
    ]);
    expect(inv.lines[1]?.quantityWh).toBe(80_000);
  });

  it('honours a custom table', () => {
    const inv = computeInvoice({
      period: { start: '2024-03-01', end: '2024-04-01' },
      connection: 'two-phase',
      consumption: { kind: 'total', kwh: 10 },
      tariff: {
        id: 't',
        energy: flat,
        minimumAvailabilityKwh: { 'single-phase': 30, 'two-phase': 45, 'three-phase': 100 },
      },
    });
    expect(inv.totals.availability).toBe(35 * 80); // (45 − 10) × 0.80 = 28.00
  });
});

describe('time of use (Tarifa Branca)', () => {
  const energy = {
    model: 'time-of-use' as const,
    prices: { ponta: '1.20', intermediario: '0.80', foraDePonta: '0.50' },
  };
  /** 1 kWh in each local hour of a Bahia day (UTC−3): local h = UTC h − 3. */
  const day = (date: string, kwh: number | string = 1) =>
    Array.from({ length: 24 }, (_, h) => ({
      start: new Date(Date.parse(`${date}T00:00:00-03:00`) + h * 3_600_000),
      kwh,
    }));
  const tou = (samples: ReturnType<typeof day>, over: Partial<TariffInput> = {}, zone?: string) =>
    bill(
      { energy, ...over },
      {
        consumption: { kind: 'hourly', samples },
        ...(zone ? { timeZone: zone } : {}),
        period: { start: '2011-01-01', end: '2025-01-01' },
      },
    );

  it('splits a weekday into postos with the default windows', () => {
    // Monday 2024-03-04: ponta 18,19,20 h = 3 kWh × 1.20 = 3.60
    // intermediário 17 h and 21 h = 2 kWh × 0.80 = 1.60; fora de ponta 19 kWh × 0.50 = 9.50
    const inv = tou(day('2024-03-04'));
    expect(amounts(inv)).toEqual([
      ['energy.ponta', 360],
      ['energy.intermediario', 160],
      ['energy.fora-de-ponta', 950],
    ]);
    expect(inv.lines.map((l) => l.quantityWh)).toEqual([3000, 2000, 19000]);
    expect(inv.totals.total).toBe(1470);
  });

  it.each([
    ['Saturday', '2024-03-09'],
    ['Sunday', '2024-03-10'],
    ['Labour Day (Wed)', '2024-05-01'],
    ['Carnival Tuesday', '2024-02-13'],
    ['Good Friday', '2024-03-29'],
    ['Corpus Christi', '2024-05-30'],
    ['Consciência Negra (Wed, from 2024)', '2024-11-20'],
  ])('%s is wholly fora de ponta', (_name, date) => {
    // 24 kWh × 0.50 = 12.00
    expect(amounts(tou(day(date)))).toEqual([['energy.fora-de-ponta', 1200]]);
  });

  it('uses a tariff-specific holiday list instead of the national one', () => {
    // 2024-07-02 (Tuesday, Independência da Bahia) listed: all fora de ponta = 12.00;
    // 2024-05-01 not listed → a normal Wednesday = 14.70
    const over = { energy: { ...energy, holidays: ['2024-07-02'] } };
    expect(tou(day('2024-07-02'), over).totals.total).toBe(1200);
    expect(tou(day('2024-05-01'), over).totals.total).toBe(1470);
  });

  it('uses configured windows', () => {
    // ponta 18:30–21:30 and no intermediário: a sample belongs to its start minute,
    // so hours starting 19:00, 20:00, 21:00 are ponta (3 × 1.20 = 3.60), 21 others fora (10.50)
    const inv = tou(day('2024-03-04'), {
      energy: { ...energy, windows: { ponta: [['18:30', '21:30']], intermediario: [] } },
    });
    expect(amounts(inv)).toEqual([
      ['energy.ponta', 360],
      ['energy.fora-de-ponta', 1050],
    ]);
  });

  it('rejects overlapping ponta and intermediário windows', () => {
    const windows = { ponta: [['18:00', '21:00']], intermediario: [['20:00', '22:00']] } as {
      ponta: [string, string][];
      intermediario: [string, string][];
    };
    expect(reasonOf(() => tou(day('2024-03-04'), { energy: { ...energy, windows } }))).toBe(
      'tariff.tou-overlap',
    );
  });

  it('reads local time from the IANA zone, not a fixed offset', () => {
    // 20:00Z on Monday 2011-12-05: Bahia kept DST in summer 2011/12 (UTC−2) → 18:00 local, ponta.
    // A fixed UTC−3 would say 17:00 (intermediário). Same UTC time on 2012-12-03: no DST → 17:00.
    const one = (iso: string) => [{ start: iso, kwh: 1 }];
    expect(amounts(tou(one('2011-12-05T20:00:00Z') as never))).toEqual([['energy.ponta', 120]]);
    expect(amounts(tou(one('2012-12-03T20:00:00Z') as never))).toEqual([
      ['energy.intermediario', 80],
    ]);
    // São Paulo had DST in December 2018 (UTC−2): 20:00Z = 18:00 there, 17:00 in Bahia
    expect(amounts(tou(one('2018-12-03T20:00:00Z') as never, {}, 'America/Sao_Paulo'))).toEqual([
      ['energy.ponta', 120],
    ]);
    expect(amounts(tou(one('2018-12-03T20:00:00Z') as never))).toEqual([
      ['energy.intermediario', 80],
    ]);
  });

  it('tops up to the minimum at the fora de ponta price', () => {
    // single-phase minimum 30 kWh; consumed 24 × 0.5 kWh = 12 kWh on a Monday:
    // ponta 1.5 × 1.20 = 1.80 | intermediário 1 × 0.80 = 0.80 | fora 9.5 × 0.50 = 4.75
    // top-up 18 kWh × 0.50 = 9.00
    const inv = computeInvoice({
      period: { start: '2024-03-01', end: '2024-04-01' },
      connection: 'single-phase',
      consumption: { kind: 'hourly', samples: day('2024-03-04', '0.5') },
      tariff: { id: 't', energy },
    });
    expect(amounts(inv)).toEqual([
      ['energy.ponta', 180],
      ['energy.intermediario', 80],
      ['energy.fora-de-ponta', 475],
      ['availability', 900],
    ]);
  });

  it.each([
    [
      'a total instead of hourly',
      { consumption: { kind: 'total', kwh: 1 } },
      'billing.tou-needs-hourly',
    ],
    [
      'a sample before the period (local 2024-02-29 23:00)',
      { consumption: { kind: 'hourly', samples: [{ start: '2024-03-01T02:00:00Z', kwh: 1 }] } },
      'billing.sample-outside',
    ],
    [
      'a sample on the end date (exclusive)',
      { consumption: { kind: 'hourly', samples: [{ start: '2024-04-01T03:00:00Z', kwh: 1 }] } },
      'billing.sample-outside',
    ],
    [
      'a repeated hour',
      {
        consumption: {
          kind: 'hourly',
          samples: [
            { start: '2024-03-04T03:00:00Z', kwh: 1 },
            { start: '2024-03-04T00:00:00-03:00', kwh: 1 },
          ],
        },
      },
      'billing.sample-duplicate',
    ],
    [
      'an unknown zone',
      {
        timeZone: 'America/Atlantis',
        consumption: { kind: 'hourly', samples: [] },
      },
      'calendar.time-zone',
    ],
  ] as Array<[string, Partial<BillingInput>, string]>)('rejects %s', (_name, over, reason) => {
    expect(reasonOf(() => bill({ energy }, over))).toBe(reason);
  });
});

describe('bandeiras', () => {
  const pricePer100Kwh = { amarela: '1.885', vermelha1: '4.463', vermelha2: '7.877' };

  it('prorates a change mid-period by days', () => {
    // March 2024 = 31 days: verde 03-01..03-20 (20 days), amarela 03-21..03-31 (11 days).
    // 200 kWh = 200000 Wh → verde 200000 × 20/31 = 129032.26, amarela 200000 × 11/31 = 70967.74
    // largest remainder: floors 129032 + 70967 = 199999; the last Wh goes to amarela (.74 > .26)
    // amarela: 70.968 kWh × R$ 1.885 / 100 kWh = R$ 1.3377468 → 133.77468 centavos → 134
    const inv = bill(
      {
        energy: { model: 'flat', pricePerKwh: '0.80' },
        bandeiras: {
          pricePer100Kwh,
          schedule: [
            { flag: 'verde', from: '2024-01-01', to: '2024-03-21' },
            { flag: 'amarela', from: '2024-03-21', to: '2024-05-01' },
          ],
        },
      },
      { consumption: { kind: 'total', kwh: 200 } },
    );
    const line = inv.lines.find((l) => l.kind === 'bandeira');
    expect(line).toMatchObject({ code: 'bandeira.amarela', quantityWh: 70968, amount: 134 });
    expect(inv.lines.filter((l) => l.kind === 'bandeira')).toHaveLength(1); // verde costs 0
    expect(inv.totals.bandeiras).toBe(134);
    expect(inv.totals.total).toBe(16000 + 134); // 200 × 0.80 = 160.00
  });

  it('handles three flags and rounds each line half to even', () => {
    // June 2024 = 30 days, 10 days each; 300 kWh → 100 kWh each (no remainder)
    // amarela 100 × 1.885 / 100 = R$ 1.885 = 188.5 centavos → 188 (tie → even)
    // vermelha 1: 100 × 4.463 / 100 = 446.3 → 446; vermelha 2: 100 × 7.877 / 100 = 787.7 → 788
    const inv = bill(
      {
        energy: { model: 'flat', pricePerKwh: '0' },
        bandeiras: {
          pricePer100Kwh,
          schedule: [
            { flag: 'amarela', from: '2024-06-01', to: '2024-06-11' },
            { flag: 'vermelha1', from: '2024-06-11', to: '2024-06-21' },
            { flag: 'vermelha2', from: '2024-06-21', to: '2024-07-01' },
          ],
        },
      },
      {
        period: { start: '2024-06-01', end: '2024-07-01' },
        consumption: { kind: 'total', kwh: 300 },
      },
    );
    expect(amounts(inv)).toEqual([
      ['energy', 0],
      ['bandeira.amarela', 188],
      ['bandeira.vermelha1', 446],
      ['bandeira.vermelha2', 788],
    ]);
    expect(inv.totals.bandeiras).toBe(1422);
  });

  it('applies to measured consumption, not to the availability top-up', () => {
    // 10 kWh single-phase (minimum 30), all amarela: 10 × 1.885 / 100 = 18.85 centavos → 19
    const inv = computeInvoice({
      period: { start: '2024-03-01', end: '2024-04-01' },
      connection: 'single-phase',
      consumption: { kind: 'total', kwh: 10 },
      tariff: {
        id: 't',
        energy: { model: 'flat', pricePerKwh: '1' },
        bandeiras: {
          pricePer100Kwh,
          schedule: [{ flag: 'amarela', from: '2024-01-01', to: '2025-01-01' }],
        },
      },
    });
    expect(inv.totals.bandeiras).toBe(19);
    expect(inv.totals.availability).toBe(2000); // 20 kWh × 1.00
  });

  it.each([
    [
      'a gap',
      [
        { flag: 'verde', from: '2024-01-01', to: '2024-03-10' },
        { flag: 'amarela', from: '2024-03-11', to: '2024-05-01' },
      ],
      'tariff.bandeira-gap',
    ],
    [
      'an overlap',
      [
        { flag: 'verde', from: '2024-01-01', to: '2024-03-12' },
        { flag: 'amarela', from: '2024-03-11', to: '2024-05-01' },
      ],
      'tariff.bandeira-overlap',
    ],
  ] as const)('rejects a schedule with %s', (_name, schedule, reason) => {
    expect(
      reasonOf(() =>
        bill({
          energy: { model: 'flat', pricePerKwh: '1' },
          bandeiras: { pricePer100Kwh, schedule: [...schedule] },
        }),
      ),
    ).toBe(reason);
  });
});

describe('taxes por dentro', () => {
  const rates = (icms: string, pis: string, cofins: string) => ({
    from: '2024-01-01',
    icms,
    pis,
    cofins,
  });
  // [B centavos, icms, pis, cofins, T, icms, pis, cofins]
  const rows: Array<[number, [string, string, string], number, [number, number, number]]> = [
    // Σ = 0.18 + 0.0165 + 0.076 = 0.2725; T = 10000 / 0.7275 = 13745.70 → 13746; T − B = 3746
    // shares 3746 × (1800, 165, 760) / 2725 = 2474.41, 226.82, 1044.76 → floors 3744, +1 to
    // PIS (.82) and COFINS (.76) → 2474, 227, 1045
    [10000, ['0.18', '0.0165', '0.076'], 13746, [2474, 227, 1045]],
    // Bahia ICMS 20.5 %: Σ = 0.205 + 0.0096 + 0.0443 = 0.2589; T = 26750 / 0.7411 = 36094.99
    // → 36095; T − B = 9345 → shares 7399.48, 346.51, 1599.01 → +1 to PIS → 7399, 347, 1599
    [26750, ['0.205', '0.0096', '0.0443'], 36095, [7399, 347, 1599]],
    // ties at T: Σ = 0.2, B = 2 → 2 / 0.8 = 2.5 → 2 (even); B = 6 → 7.5 → 8 (even)
    [2, ['0.2', '0', '0'], 2, [0, 0, 0]],
    [6, ['0.2', '0', '0'], 8, [2, 0, 0]],
    // no taxes: T = B
    [5000, ['0', '0', '0'], 5000, [0, 0, 0]],
    // zero base
    [0, ['0.18', '0.0165', '0.076'], 0, [0, 0, 0]],
  ];
  it.each(rows)('B = %s, rates %j → T = %s, taxes %j', (base, [i, p, c], gross, taxes) => {
    const out = grossUp(base as Centavos, rates(i, p, c));
    expect(out.gross).toBe(gross);
    expect(out.lines.map((l) => l.amount)).toEqual(taxes);
    expect(base + taxes[0] + taxes[1] + taxes[2]).toBe(gross);
    // each tax within one centavo of T × rate
    [i, p, c].forEach((r, k) => {
      expect(Math.abs((taxes[k] ?? 0) - gross * Number(r))).toBeLessThanOrEqual(1);
    });
  });

  it('describes each tax', () => {
    const out = grossUp(10000 as Centavos, rates('0.18', '0.0165', '0.076'));
    expect(out.lines.map((l) => l.description)).toEqual([
      'ICMS 18 % sobre R$ 137,46',
      'PIS/PASEP 1,65 % sobre R$ 137,46',
      'COFINS 7,6 % sobre R$ 137,46',
    ]);
  });

  it('rejects rates summing to 100 %', () => {
    expect(reasonOf(() => grossUp(1 as Centavos, rates('0.5', '0.3', '0.2')))).toBe(
      'tariff.tax-sum',
    );
  });

  it('uses the rates in force on the last day of the period', () => {
    // PIS/COFINS change on 2024-03-15; the period closes 2024-03-31 → the second rates apply.
    // B = 100 kWh × 1.00 = 10000 → as the first row above
    const inv = bill({
      energy: { model: 'flat', pricePerKwh: '1' },
      taxes: [
        { from: '2024-01-01', to: '2024-03-15', icms: '0.18', pis: '0.01', cofins: '0.05' },
        { from: '2024-03-15', icms: '0.18', pis: '0.0165', cofins: '0.076' },
      ],
    });
    expect(inv.totals).toMatchObject({
      taxBase: 10000,
      icms: 2474,
      pis: 227,
      cofins: 1045,
      taxedTotal: 13746,
      total: 13746,
    });
  });

  it.each([
    [[{ from: '2024-04-01', icms: '0.18', pis: '0', cofins: '0' }], 'tariff.tax-gap'],
    [
      [
        { from: '2024-01-01', icms: '0.18', pis: '0', cofins: '0' },
        { from: '2024-03-01', icms: '0.2', pis: '0', cofins: '0' },
      ],
      'tariff.tax-overlap',
    ],
  ])('rejects tax periods %#', (taxes, reason) => {
    expect(reasonOf(() => bill({ energy: { model: 'flat', pricePerKwh: '1' }, taxes }))).toBe(
      reason,
    );
  });
});

describe('public lighting (CIP)', () => {
  const byClass = {
    kind: 'by-class' as const,
    classes: {
      residencial: [
        { upToKwh: 50, amount: '5.00' },
        { upToKwh: 150, amount: '12.00' },
        { upToKwh: null, amount: '25.00' },
      ],
      comercial: [{ upToKwh: null, amount: '40.00' }],
    },
  };
  it.each([
    ['fixed', { kind: 'fixed' as const, amount: '15.30' }, 'residencial', 100, 1530],
    ['residencial ≤ 50', byClass, 'residencial', 50, 500],
    ['residencial 150 (bound inclusive)', byClass, 'residencial', 150, 1200],
    ['residencial 150.001', byClass, 'residencial', '150.001', 2500],
    ['comercial', byClass, 'comercial', 10, 4000],
  ] as const)('%s', (_name, publicLighting, tariffClass, kwh, expected) => {
    const inv = bill(
      { energy: { model: 'flat', pricePerKwh: '0' }, publicLighting },
      { tariffClass, consumption: { kind: 'total', kwh } },
    );
    expect(inv.totals.publicLighting).toBe(expected);
    expect(inv.totals.total).toBe(expected);
  });

  it('rejects a class without an amount', () => {
    expect(
      reasonOf(() =>
        bill(
          { energy: { model: 'flat', pricePerKwh: '0' }, publicLighting: byClass },
          {
            tariffClass: 'rural',
          },
        ),
      ),
    ).toBe('tariff.cip-class');
  });
});

describe('a whole invoice (the docs/BILLING.md example)', () => {
  it('adds energy, bandeira, taxes and CIP', () => {
    // 200 kWh × R$ 0.80 = 160.00 → 16000
    // bandeira amarela on 11 of 31 days: 70.968 kWh × 1.885 / 100 = 1.3377 → 134
    // B = 16134; Σ = 0.205 + 0.0096 + 0.0443 = 0.2589; T = 16134 / 0.7411 = 21770.34 → 21770
    // T − B = 5636 → shares 4462.65, 208.98, 964.37 → floors 5634, +1 PIS (.98), +1 ICMS (.65)
    //   → ICMS 4463, PIS 209, COFINS 964
    // CIP R$ 15.30 outside the tax base: total = 21770 + 1530 = 23300 = R$ 233,00
    const inv = computeInvoice({
      period: { start: '2024-03-01', end: '2024-04-01' },
      connection: 'single-phase',
      consumption: { kind: 'total', kwh: 200 },
      tariff: {
        id: 'coelba-b1-2024',
        energy: { model: 'flat', pricePerKwh: '0.80' },
        bandeiras: {
          pricePer100Kwh: { amarela: '1.885', vermelha1: '4.463', vermelha2: '7.877' },
          schedule: [
            { flag: 'verde', from: '2024-01-01', to: '2024-03-21' },
            { flag: 'amarela', from: '2024-03-21', to: '2024-05-01' },
          ],
        },
        taxes: [{ from: '2024-01-01', icms: '0.205', pis: '0.0096', cofins: '0.0443' }],
        publicLighting: { kind: 'fixed', amount: '15.30' },
      },
    });
    expect(amounts(inv)).toEqual([
      ['energy', 16000],
      ['bandeira.amarela', 134],
      ['tax.icms', 4463],
      ['tax.pis', 209],
      ['tax.cofins', 964],
      ['public-lighting', 1530],
    ]);
    expect(inv.totals).toEqual({
      energy: 16000,
      availability: 0,
      bandeiras: 134,
      taxBase: 16134,
      icms: 4463,
      pis: 209,
      cofins: 964,
      taxedTotal: 21770,
      publicLighting: 1530,
      total: 23300,
    });
    expect(inv.period).toEqual({
      start: '2024-03-01',
      end: '2024-04-01',
      days: 31,
      timeZone: 'America/Bahia',
    });
    expect(inv.lines[0]?.description).toBe('Consumo (200.000 kWh × R$ 0.8)');
    // pure: same input, same output
    expect(inv.lines.reduce((a, l) => a + l.amount, 0)).toBe(inv.totals.total);
  });
});

describe('input validation', () => {
  it.each([
    ['an empty period', { period: { start: '2024-03-01', end: '2024-03-01' } }, 'billing.period'],
    ['a reversed period', { period: { start: '2024-03-02', end: '2024-03-01' } }, 'billing.period'],
    [
      'an impossible date',
      { period: { start: '2024-02-30', end: '2024-03-01' } },
      'billing.schema',
    ],
    ['negative kWh', { consumption: { kind: 'total', kwh: -1 } }, 'billing.schema'],
    ['a float price string', {}, 'billing.schema'],
  ] as Array<[string, Partial<BillingInput>, string]>)('rejects %s', (name, over, reason) => {
    const energy =
      name === 'a float price string'
        ? { model: 'flat' as const, pricePerKwh: '1,07' }
        : { model: 'flat' as const, pricePerKwh: '1' };
    expect(reasonOf(() => bill({ energy }, over))).toBe(reason);
  });

  it('names the bad key in the message', () => {
    try {
      bill({ energy: { model: 'flat', pricePerKwh: '1,07' } });
    } catch (err) {
      expect((err as Error).message).toContain('tariff.energy.pricePerKwh');
    }
  });
});

describe('holidays', () => {
  it.each([
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2019, '2019-04-21'],
    [2038, '2038-04-25'],
  ])('Easter %s is %s', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });

  it('lists the 2024 national days off-peak', () => {
    expect(brazilianNationalHolidays(2024)).toEqual([
      '2024-01-01',
      '2024-02-13', // Carnival Tuesday = Easter − 47
      '2024-03-29', // Good Friday = Easter − 2
      '2024-04-21',
      '2024-05-01',
      '2024-05-30', // Corpus Christi = Easter + 60
      '2024-09-07',
      '2024-10-12',
      '2024-11-02',
      '2024-11-15',
      '2024-11-20',
      '2024-12-25',
    ]);
    expect(brazilianNationalHolidays(2023)).not.toContain('2023-11-20');
  });
});
