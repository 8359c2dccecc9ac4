import { isGridlinkError, seededRandom } from '@gridlink/shared';
import { describe, expect, it } from 'vitest';
import { priceSession, type SessionFacts } from './price-session.js';
import { type Tariff, type TariffInput, tariffSchema } from './tariff-schema.js';

const zone = 'America/Bahia'; // UTC-3, no DST
const t = (iso: string) => new Date(iso);
const tariff = (input: TariffInput): Tariff => tariffSchema.parse(input);

/** Builder: a session plugged at 10:00 local (13:00Z), charging 10:00-11:00, unplugged at 11:00. */
function facts(over: Partial<SessionFacts> = {}): SessionFacts {
  return {
    startedAt: t('2026-03-02T13:00:00Z'), // a Monday
    chargingStartedAt: t('2026-03-02T13:00:00Z'),
    chargingStoppedAt: t('2026-03-02T14:00:00Z'),
    endedAt: t('2026-03-02T14:00:00Z'),
    energyWh: 0,
    timeZone: zone,
    ...over,
  };
}

const energyOnly = (price: string, step = 1) =>
  tariff({ elements: [{ price_components: [{ type: 'ENERGY', price, step_size: step }] }] });

describe('priceSession: one dimension, worked by hand', () => {
  // [name, tariff, facts, total centavos, arithmetic]
  const rows: Array<[string, Tariff, Partial<SessionFacts>, number]> = [
    // 23,456 Wh × R$ 1.95 / 1000 = R$ 45.7392 → 4573.92 centavos → 4574
    ['23.456 kWh at R$ 1.95, step 1 Wh', energyOnly('1.95'), { energyWh: 23_456 }, 4574],
    // step 1000 Wh: 23,456 Wh billed as 24,000 Wh × 1.95 / 1000 = R$ 46.80
    ['23.456 kWh at R$ 1.95, step 1 kWh', energyOnly('1.95', 1000), { energyWh: 23_456 }, 4680],
    // 1 Wh × 0.125 / 1000 R$ = 0.0125 centavos → 0; 100 Wh × 0.125 = 1.25 centavos → 1 (half-even n/a)
    ['100 Wh at R$ 0.125', energyOnly('0.125'), { energyWh: 100 }, 1],
    // 40 Wh × 0.125 R$/kWh = 0.5 centavo: a tie, to the even 0
    ['tie to even: 40 Wh at R$ 0.125', energyOnly('0.125'), { energyWh: 40 }, 0],
    // 120 Wh × 0.125 = 1.5 centavos: a tie, to the even 2
    ['tie to even: 120 Wh at R$ 0.125', energyOnly('0.125'), { energyWh: 120 }, 2],
    // TIME R$ 6.00/h, charging 1 h 00 min 01 s, step 60 s → 61 min = 6.10
    [
      'time R$ 6/h, 3601 s, step 60 s',
      tariff({
        elements: [{ price_components: [{ type: 'TIME', price: '6.00', step_size: 60 }] }],
      }),
      { chargingStoppedAt: t('2026-03-02T14:00:01Z'), endedAt: t('2026-03-02T14:00:01Z') },
      610,
    ],
    // Idle: charging stops 11:00, unplug 11:25; grace 10 min; R$ 30.00/h (0.50/min), step 60 s:
    // 15 min = 0.25 h × 30.00 = 7.50
    [
      'idle 25 min, 10 min grace, R$ 0.50/min',
      tariff({
        elements: [
          {
            price_components: [
              { type: 'PARKING_TIME', price: '30.00', step_size: 60, grace_minutes: 10 },
            ],
          },
        ],
      }),
      { endedAt: t('2026-03-02T14:25:00Z') },
      750,
    ],
    // Idle 9 min 59 s with 10 min grace: nothing
    [
      'idle inside the grace',
      tariff({
        elements: [
          {
            price_components: [
              { type: 'PARKING_TIME', price: '30.00', step_size: 60, grace_minutes: 10 },
            ],
          },
        ],
      }),
      { endedAt: t('2026-03-02T14:09:59Z') },
      0,
    ],
    // Idle 10 min 01 s: 1 s past the grace, step 60 s → 1 min = 0.50
    [
      'idle 1 s past the grace, a whole step',
      tariff({
        elements: [
          {
            price_components: [
              { type: 'PARKING_TIME', price: '30.00', step_size: 60, grace_minutes: 10 },
            ],
          },
        ],
      }),
      { endedAt: t('2026-03-02T14:10:01Z') },
      50,
    ],
    // FLAT R$ 2.00 + 10,000 Wh × 1.50 = 2.00 + 15.00
    [
      'flat + energy',
      tariff({
        elements: [
          {
            price_components: [
              { type: 'FLAT', price: '2.00' },
              { type: 'ENERGY', price: '1.50' },
            ],
          },
        ],
      }),
      { energyWh: 10_000 },
      1700,
    ],
    // Waiting before charging is not billed by time: plugged 09:30, charging 10:00-11:00, TIME 6/h
    [
      'waiting before charging is free',
      tariff({ elements: [{ price_components: [{ type: 'TIME', price: '6.00' }] }] }),
      { startedAt: t('2026-03-02T12:30:00Z') },
      600,
    ],
  ];
  it.each(rows)('%s', (_name, tr, over, expected) => {
    const priced = priceSession(tr, facts(over));
    expect(priced.totalCentavos).toBe(expected);
    expect(priced.lines.reduce((s, l) => s + l.amountCentavos, 0)).toBe(expected);
  });

  it('shows the lines with quantities, prices and the part of the session they cover', () => {
    const priced = priceSession(
      tariff({
        elements: [
          {
            price_components: [
              { type: 'ENERGY', price: '1.95' },
              { type: 'PARKING_TIME', price: '30.00', step_size: 60, grace_minutes: 10 },
            ],
          },
        ],
      }),
      facts({ energyWh: 23_456, endedAt: t('2026-03-02T14:25:00Z') }),
    );
    expect(priced.lines).toEqual([
      {
        dimension: 'ENERGY',
        element: 0,
        price: '1.95',
        quantity: '23.456',
        unit: 'kWh',
        amountCentavos: 4574,
        from: '2026-03-02T13:00:00.000Z',
        to: '2026-03-02T14:00:00.000Z',
      },
      {
        dimension: 'PARKING_TIME',
        element: 0,
        price: '30.00',
        quantity: '15.00',
        unit: 'min',
        amountCentavos: 750,
        from: '2026-03-02T14:10:00.000Z',
        to: '2026-03-02T14:25:00.000Z',
      },
    ]);
    expect(priced).toMatchObject({
      totalCentavos: 5324,
      energyWh: 23_456,
      chargingSeconds: 3600,
      parkingSeconds: 1500,
    });
  });
});

describe('priceSession: restrictions', () => {
  // Peak 18:00-21:00 local at R$ 3.00/kWh, otherwise R$ 1.50/kWh.
  const peak = tariff({
    elements: [
      {
        price_components: [{ type: 'ENERGY', price: '3.00' }],
        restrictions: { start_time: '18:00', end_time: '21:00' },
      },
      { price_components: [{ type: 'ENERGY', price: '1.50' }] },
    ],
  });

  it('splits a session that crosses a time-of-day boundary in the station zone', () => {
    // Charging 17:30-18:30 local (20:30Z-21:30Z), 10,000 Wh evenly: 5,000 Wh each side.
    // 5,000 × 1.50 / 1000 = 7.50; 5,000 × 3.00 / 1000 = 15.00; total 22.50
    const priced = priceSession(
      peak,
      facts({
        startedAt: t('2026-03-02T20:30:00Z'),
        chargingStartedAt: t('2026-03-02T20:30:00Z'),
        chargingStoppedAt: t('2026-03-02T21:30:00Z'),
        endedAt: t('2026-03-02T21:30:00Z'),
        energyWh: 10_000,
      }),
    );
    expect(priced.lines.map((l) => [l.price, l.quantity, l.amountCentavos, l.from])).toEqual([
      ['1.50', '5.000', 750, '2026-03-02T20:30:00.000Z'],
      ['3.00', '5.000', 1500, '2026-03-02T21:00:00.000Z'],
    ]);
    expect(priced.totalCentavos).toBe(2250);
  });

  it('the same session in another zone is cut at that zone`s 18:00', () => {
    // In America/Sao_Paulo (also UTC-3 since 2019) the same; in America/Manaus (UTC-4) 18:00
    // local is 22:00Z, after the session: all off-peak, 10,000 × 1.50 = 15.00.
    const priced = priceSession(
      peak,
      facts({
        startedAt: t('2026-03-02T20:30:00Z'),
        chargingStartedAt: t('2026-03-02T20:30:00Z'),
        chargingStoppedAt: t('2026-03-02T21:30:00Z'),
        endedAt: t('2026-03-02T21:30:00Z'),
        energyWh: 10_000,
        timeZone: 'America/Manaus',
      }),
    );
    expect(priced.totalCentavos).toBe(1500);
  });

  it('uses the energy samples to split energy at the boundary', () => {
    // 2,000 Wh by 18:00 (21:00Z), 10,000 at the end: 2,000 × 1.50 + 8,000 × 3.00 = 3.00 + 24.00
    const priced = priceSession(
      peak,
      facts({
        startedAt: t('2026-03-02T20:30:00Z'),
        chargingStartedAt: t('2026-03-02T20:30:00Z'),
        chargingStoppedAt: t('2026-03-02T21:30:00Z'),
        endedAt: t('2026-03-02T21:30:00Z'),
        energyWh: 10_000,
        samples: [{ at: t('2026-03-02T21:00:00Z'), wh: 2_000 }],
      }),
    );
    expect(priced.totalCentavos).toBe(2700);
  });

  it('wraps a night window past midnight', () => {
    // Night 22:00-06:00 at R$ 1.00, else R$ 2.00. Charging 05:00-07:00 local (08:00Z-10:00Z),
    // 4,000 Wh evenly: 2,000 × 1.00 + 2,000 × 2.00 = 2.00 + 4.00
    const night = tariff({
      elements: [
        {
          price_components: [{ type: 'ENERGY', price: '1.00' }],
          restrictions: { start_time: '22:00', end_time: '06:00' },
        },
        { price_components: [{ type: 'ENERGY', price: '2.00' }] },
      ],
    });
    const priced = priceSession(
      night,
      facts({
        startedAt: t('2026-03-02T08:00:00Z'),
        chargingStartedAt: t('2026-03-02T08:00:00Z'),
        chargingStoppedAt: t('2026-03-02T10:00:00Z'),
        endedAt: t('2026-03-02T10:00:00Z'),
        energyWh: 4_000,
      }),
    );
    expect(priced.totalCentavos).toBe(600);
  });

  it('day of week: a session over local midnight Sunday → Monday', () => {
    // Weekend R$ 1.00, else R$ 2.00. Sunday 23:00 → Monday 01:00 local (02:00Z-04:00Z Monday),
    // 2,000 Wh evenly: 1,000 × 1.00 + 1,000 × 2.00 = 3.00
    const weekend = tariff({
      elements: [
        {
          price_components: [{ type: 'ENERGY', price: '1.00' }],
          restrictions: { day_of_week: ['SATURDAY', 'SUNDAY'] },
        },
        { price_components: [{ type: 'ENERGY', price: '2.00' }] },
      ],
    });
    const priced = priceSession(
      weekend,
      facts({
        startedAt: t('2026-03-02T02:00:00Z'),
        chargingStartedAt: t('2026-03-02T02:00:00Z'),
        chargingStoppedAt: t('2026-03-02T04:00:00Z'),
        endedAt: t('2026-03-02T04:00:00Z'),
        energyWh: 2_000,
      }),
    );
    expect(priced.lines.map((l) => l.amountCentavos)).toEqual([100, 200]);
  });

  it('kWh restrictions: the first 10 kWh at one price, the rest at another', () => {
    // 15,000 Wh: 10,000 × 1.00 + 5,000 × 2.00 = 10.00 + 10.00
    const tiers = tariff({
      elements: [
        {
          price_components: [{ type: 'ENERGY', price: '1.00' }],
          restrictions: { max_kwh: 10 },
        },
        { price_components: [{ type: 'ENERGY', price: '2.00' }] },
      ],
    });
    const priced = priceSession(tiers, facts({ energyWh: 15_000 }));
    expect(priced.lines.map((l) => [l.quantity, l.amountCentavos])).toEqual([
      ['10.000', 1000],
      ['5.000', 1000],
    ]);
  });

  it('duration restriction: parking free for the first 2 h of the session, then R$ 12/h', () => {
    // Plugged 10:00, charged to 11:00, unplugged 13:00: parking 11:00-13:00; the element applies
    // from 12:00 (2 h after plug-in): 1 h × 12.00 = 12.00
    const tr = tariff({
      elements: [
        {
          price_components: [{ type: 'PARKING_TIME', price: '12.00' }],
          restrictions: { min_duration_s: 7200 },
        },
      ],
    });
    const priced = priceSession(tr, facts({ endedAt: t('2026-03-02T16:00:00Z') }));
    expect(priced.totalCentavos).toBe(1200);
  });

  it('power restriction: fast sessions (average >= 20 kW) pay more', () => {
    const tr = tariff({
      elements: [
        {
          price_components: [{ type: 'ENERGY', price: '3.00' }],
          restrictions: { min_power_kw: 20 },
        },
        { price_components: [{ type: 'ENERGY', price: '1.00' }] },
      ],
    });
    // 1 h: 7,000 Wh = 7 kW → 1.00; 25,000 Wh = 25 kW → 3.00
    expect(priceSession(tr, facts({ energyWh: 7_000 })).totalCentavos).toBe(700);
    expect(priceSession(tr, facts({ energyWh: 25_000 })).totalCentavos).toBe(7500);
  });
});

describe('priceSession: steps across two prices, and DST', () => {
  it('the round-up of a step is billed at the lowest price among the dimension`s lines', () => {
    // Peak 18:00-21:00 R$ 3.00 (step 1000 Wh), else R$ 1.00 (step 1000 Wh). Charging 20:30-21:30
    // local, 1,500 Wh evenly: 750 Wh peak, 750 Wh off-peak; total 1,500 → 2,000 Wh billed: the
    // 500 Wh round-up at R$ 1.00. 750 × 3.00 + 1,250 × 1.00 = 2.25 + 1.25 = 3.50
    const tr = tariff({
      elements: [
        {
          price_components: [{ type: 'ENERGY', price: '3.00', step_size: 1000 }],
          restrictions: { start_time: '18:00', end_time: '21:00' },
        },
        { price_components: [{ type: 'ENERGY', price: '1.00', step_size: 1000 }] },
      ],
    });
    const priced = priceSession(
      tr,
      facts({
        startedAt: t('2026-03-02T23:30:00Z'),
        chargingStartedAt: t('2026-03-02T23:30:00Z'),
        chargingStoppedAt: t('2026-03-03T00:30:00Z'),
        endedAt: t('2026-03-03T00:30:00Z'),
        energyWh: 1_500,
      }),
    );
    expect(priced.lines.map((l) => [l.price, l.quantity, l.amountCentavos])).toEqual([
      ['3.00', '0.750', 225],
      ['1.00', '1.250', 125],
    ]);
  });

  it('a time-of-day boundary on a DST day is cut at the zone`s own wall time', () => {
    // America/New_York, 2026-03-08: clocks go 02:00 EST → 03:00 EDT. 06:00 local is 10:00Z (EDT),
    // not 11:00Z. Charging 04:00-08:00 local = 08:00Z-12:00Z, 4,000 Wh evenly; from 06:00 R$ 2.00,
    // before R$ 1.00: 2,000 × 1.00 + 2,000 × 2.00 = 6.00
    const tr = tariff({
      elements: [
        {
          price_components: [{ type: 'ENERGY', price: '2.00' }],
          restrictions: { start_time: '06:00' },
        },
        { price_components: [{ type: 'ENERGY', price: '1.00' }] },
      ],
    });
    const priced = priceSession(
      tr,
      facts({
        startedAt: t('2026-03-08T08:00:00Z'),
        chargingStartedAt: t('2026-03-08T08:00:00Z'),
        chargingStoppedAt: t('2026-03-08T12:00:00Z'),
        endedAt: t('2026-03-08T12:00:00Z'),
        energyWh: 4_000,
        timeZone: 'America/New_York',
      }),
    );
    expect(priced.lines.map((l) => [l.price, l.from])).toEqual([
      ['1.00', '2026-03-08T08:00:00.000Z'],
      ['2.00', '2026-03-08T10:00:00.000Z'],
    ]);
    expect(priced.totalCentavos).toBe(600);
  });
});

describe('priceSession: min and max price', () => {
  const bounded = tariff({
    elements: [{ price_components: [{ type: 'ENERGY', price: '2.00' }] }],
    min_price: '5.00',
    max_price: '50.00',
  });
  it('raises a small session to the minimum with an adjustment line', () => {
    // 1,000 Wh × 2.00 = 2.00 < 5.00
    const priced = priceSession(bounded, facts({ energyWh: 1_000 }));
    expect(priced.totalCentavos).toBe(500);
    expect(priced.lines.map((l) => [l.dimension, l.amountCentavos])).toEqual([
      ['ENERGY', 200],
      ['MIN_PRICE', 300],
    ]);
  });
  it('caps a large session at the maximum', () => {
    // 40,000 Wh × 2.00 = 80.00 > 50.00
    const priced = priceSession(bounded, facts({ energyWh: 40_000 }));
    expect(priced.totalCentavos).toBe(5000);
    expect(priced.lines.at(-1)).toMatchObject({ dimension: 'MAX_PRICE', amountCentavos: -3000 });
  });
  it('inside the bounds: no adjustment', () => {
    expect(priceSession(bounded, facts({ energyWh: 10_000 })).lines).toHaveLength(1);
  });
});

describe('priceSession: bad facts', () => {
  it.each([
    ['ends before it starts', { endedAt: t('2026-03-02T12:00:00Z') }],
    ['fractional energy', { energyWh: 1.5 }],
    ['negative energy', { energyWh: -1 }],
  ] as Array<[string, Partial<SessionFacts>]>)('%s: GL_VALIDATION', (_n, over) => {
    let caught: unknown;
    try {
      priceSession(energyOnly('1.00'), facts(over));
    } catch (err) {
      caught = err;
    }
    expect(isGridlinkError(caught, 'GL_VALIDATION')).toBe(true);
  });
  it('an unknown zone is refused', () => {
    expect(() => priceSession(energyOnly('1.00'), facts({ timeZone: 'Mars/Olympus' }))).toThrow(
      /time zone/,
    );
  });
});

describe('priceSession: properties (seeded)', () => {
  const rng = seededRandom(20261206);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const price = () => `${int(0, 9)}.${String(int(0, 9999)).padStart(4, '0')}`;
  const base = Date.parse('2026-03-02T00:00:00Z');

  function randomSession(): SessionFacts {
    const start = base + int(0, 7 * 86_400) * 1000;
    const cs = start + int(0, 1800) * 1000;
    const ce = cs + int(1, 6 * 3600) * 1000;
    const end = ce + int(0, 3 * 3600) * 1000;
    return {
      startedAt: new Date(start),
      chargingStartedAt: new Date(cs),
      chargingStoppedAt: new Date(ce),
      endedAt: new Date(end),
      energyWh: int(0, 80_000),
      timeZone: zone,
    };
  }
  function randomTariff(): Tariff {
    return tariff({
      elements: [
        {
          price_components: [
            { type: 'ENERGY', price: price(), step_size: int(1, 1000) },
            { type: 'TIME', price: price(), step_size: int(1, 900) },
            {
              type: 'PARKING_TIME',
              price: price(),
              step_size: int(1, 300),
              grace_minutes: int(0, 30),
            },
          ],
          restrictions: { start_time: '18:00', end_time: '21:00' },
        },
        {
          price_components: [
            { type: 'FLAT', price: price() },
            { type: 'ENERGY', price: price(), step_size: int(1, 1000) },
            { type: 'TIME', price: price(), step_size: int(1, 900) },
            {
              type: 'PARKING_TIME',
              price: price(),
              step_size: int(1, 300),
              grace_minutes: int(0, 30),
            },
          ],
        },
      ],
      min_price: '3.00',
      max_price: '150.00',
    });
  }

  it('more energy never costs less (400 sessions)', () => {
    for (let n = 0; n < 400; n++) {
      const tr = randomTariff();
      const f = randomSession();
      const more = { ...f, energyWh: f.energyWh + int(1, 5_000) };
      expect(priceSession(tr, more).totalCentavos).toBeGreaterThanOrEqual(
        priceSession(tr, f).totalCentavos,
      );
    }
  });

  it('min and max price hold and the lines add up to the total (400 sessions)', () => {
    for (let n = 0; n < 400; n++) {
      const priced = priceSession(randomTariff(), randomSession());
      expect(priced.totalCentavos).toBeGreaterThanOrEqual(300);
      expect(priced.totalCentavos).toBeLessThanOrEqual(15_000);
      expect(priced.lines.reduce((s, l) => s + l.amountCentavos, 0)).toBe(priced.totalCentavos);
    }
  });

  it('splitting: a time-of-day element at the same prices costs exactly what no split costs (400 sessions)', () => {
    for (let n = 0; n < 400; n++) {
      const components: TariffInput['elements'][number]['price_components'] = [
        { type: 'ENERGY', price: price(), step_size: 1 },
        { type: 'TIME', price: price(), step_size: 1 },
        { type: 'PARKING_TIME', price: price(), step_size: 1, grace_minutes: int(0, 30) },
      ];
      const one = tariff({ elements: [{ price_components: components }] });
      const split = tariff({
        elements: [
          {
            price_components: components,
            restrictions: {
              start_time: `${String(int(0, 23)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}`,
              end_time: '21:00',
            },
          },
          { price_components: components, restrictions: { day_of_week: ['MONDAY', 'TUESDAY'] } },
          { price_components: components },
        ],
      });
      const f = randomSession();
      const a = priceSession(one, f);
      const b = priceSession(split, f);
      expect(b.totalCentavos).toBe(a.totalCentavos);
    }
  });
});
