import { GridlinkError } from '@gridlink/shared';
import { localTime } from '../../billing/index.js';
import {
  addRatio,
  type Centavos,
  centavos,
  compareRatio,
  decimalToRatio,
  mulRatio,
  parseDecimal,
  type Ratio,
  ratio,
  roundHalfEven,
  subRatio,
} from '../../money/index.js';
import { localCuts } from './local-cuts.js';
import type { Tariff } from './tariff-schema.js';

/**
 * Prices a charging session with an OCPI-shaped tariff (docs/EV.md, "Sessions and pricing").
 * Pure: no clock, no I/O.
 *
 * The session's timeline, from its facts:
 * - `startedAt` (plug-in, or the start request) → `chargingStartedAt`: waiting. Not billed by
 *   time (the driver may be waiting for the start); duration restrictions count from startedAt.
 * - `chargingStartedAt` → `chargingStoppedAt` (or the end): charging. ENERGY and TIME.
 * - `chargingStoppedAt` → `endedAt` (unplug): parking, PARKING_TIME after the component's
 *   `grace_minutes`.
 *
 * The timeline is cut wherever a restriction could change its mind: the local times of day of
 * every `start_time`/`end_time` and local midnight (for `day_of_week`) in the station's zone,
 * `startedAt + min/max_duration_s`, the instants the energy crosses `min/max_kwh`, the end of each
 * grace period, and the energy samples. In every piece and for each dimension (ENERGY, TIME,
 * PARKING_TIME) the FIRST element that has a component of that dimension and whose restrictions
 * all hold prices the piece (OCPI 2.2.1 "Tariff elements"). FLAT is charged once, by the first
 * such element in the first piece where one holds. Energy inside a charging period is
 * interpolated linearly between the samples (cumulative session Wh at instants), or spread evenly
 * when there are none; power restrictions compare a piece's average power.
 *
 * Steps (OCPI 2.2.1 `step_size`): per dimension, the session's total quantity is rounded UP to the
 * step of the LAST component that billed it (as OCPI says). The difference is billed at the
 * LOWEST price among that dimension's lines (the last one's when it is also the cheapest, as in
 * every single-price tariff): in the driver's favour, and it keeps the price monotone (billed at
 * the last line's price, more energy early at a lower price could move quantity out of a dearer
 * last line and cost less).
 *
 * Rounding, once: every line is an exact rational number of centavos (prices are decimals, Wh and
 * ms are integers, nothing is a float). The session total is the exact sum rounded half to even
 * to the centavo (ABNT NBR 5891, as billing does, central/src/money); the lines show that total
 * split by the largest-remainder method (each line its floor, the centavos left over to the
 * largest fractions), so they add up to it exactly and a piece split by a restriction at the same
 * price costs what the unsplit piece costs. `min_price`/`max_price` compare the exact sum and add
 * one adjustment line that makes the total the (rounded) bound.
 *
 * Worked examples (tariff-pricing.test.ts):
 * - 23.456 kWh at R$ 1.95/kWh, step 1 Wh: 23,456 Wh × 1.95 / 1000 = R$ 45.7392 = 4,573.92
 *   centavos → 4,574 (R$ 45.74).
 * - Idle 25 min after charging, grace 10 min, R$ 30.00/h (R$ 0.50/min), step 60 s: 15 min billed
 *   = 0.25 h × 30.00 = R$ 7.50 → 750 centavos.
 */

export type Dimension = 'ENERGY' | 'TIME' | 'PARKING_TIME' | 'FLAT';

export interface EnergySample {
  at: Date;
  /** Energy delivered since the session began, Wh (non-decreasing). */
  wh: number;
}

export interface SessionFacts {
  startedAt: Date;
  chargingStartedAt: Date | null;
  chargingStoppedAt: Date | null;
  endedAt: Date;
  /** Energy delivered in the session, whole Wh (the charger's register difference). */
  energyWh: number;
  samples?: readonly EnergySample[];
  /** The station's IANA time zone: time-of-day and weekday restrictions are read there. */
  timeZone: string;
}

export interface PricedLine {
  dimension: Dimension | 'MIN_PRICE' | 'MAX_PRICE';
  /** Index of the tariff element that priced it (null for the min/max adjustment). */
  element: number | null;
  /** The component's price: R$/kWh (ENERGY), R$/h (TIME, PARKING_TIME), R$ (FLAT). */
  price: string | null;
  /** kWh (3 decimals), minutes (2 decimals) or 1 session; billed quantity, step included. */
  quantity: string;
  unit: 'kWh' | 'min' | 'session';
  amountCentavos: Centavos;
  /** The part of the session it covers. */
  from: string;
  to: string;
}

export interface SessionPrice {
  currency: 'BRL';
  lines: PricedLine[];
  totalCentavos: Centavos;
  /** The measured energy and the charging and parking times, for receipts. */
  energyWh: number;
  chargingSeconds: number;
  parkingSeconds: number;
}

const MS_PER_HOUR = 3_600_000n;
const WEEKDAY_NAMES = [
  'SUNDAY',
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
] as const;

type Activity = 'waiting' | 'charging' | 'parking';

interface Piece {
  a: number;
  b: number;
  activity: Activity;
  /** Energy delivered before the piece and within it, Wh. */
  e0: Ratio;
  de: Ratio;
}

interface Line {
  dimension: Dimension;
  element: number;
  price: string;
  step: number;
  quantity: Ratio;
  from: number;
  to: number;
}

const ZERO_R = ratio(0n);

function invalid(message: string, details: Record<string, unknown> = {}): GridlinkError {
  return new GridlinkError('GL_VALIDATION', message, { reason: 'ev.session-facts', ...details });
}

/** Checks the facts and settles what is missing (no charging start but energy: from startedAt). */
function normalise(f: SessionFacts) {
  const start = f.startedAt.getTime();
  const end = f.endedAt.getTime();
  if (!Number.isFinite(start) || !Number.isFinite(end) || end < start)
    throw invalid('a session ends at or after it starts');
  if (!Number.isSafeInteger(f.energyWh) || f.energyWh < 0)
    throw invalid(`energy is a whole number of Wh >= 0, not ${f.energyWh}`);
  localTime(f.startedAt, f.timeZone); // unknown zone → GL_BILLING_INPUT_INVALID
  let cs = f.chargingStartedAt?.getTime() ?? (f.energyWh > 0 ? start : null);
  let ce = f.chargingStoppedAt?.getTime() ?? (cs === null ? null : end);
  if (cs !== null) cs = Math.min(Math.max(cs, start), end);
  if (ce !== null && cs !== null) ce = Math.min(Math.max(ce, cs), end);
  return { start, end, cs, ce };
}

/** Cumulative energy knots (ms, Wh) over the charging period, non-decreasing, ending at energyWh. */
function energyKnots(
  f: SessionFacts,
  cs: number | null,
  ce: number | null,
): Array<[number, number]> {
  if (cs === null || ce === null) return [];
  const knots: Array<[number, number]> = [[cs, 0]];
  const samples = [...(f.samples ?? [])]
    .map((s) => [s.at.getTime(), s.wh] as [number, number])
    .filter(([t, wh]) => t > cs && t < ce && Number.isFinite(wh))
    .sort((x, y) => x[0] - y[0]);
  let prev = 0;
  for (const [t, wh] of samples) {
    const v = Math.min(Math.max(Math.round(wh), prev), f.energyWh);
    knots.push([t, v]);
    prev = v;
  }
  knots.push([ce, f.energyWh]);
  return knots;
}

/** Energy delivered by instant t (exact, linear between knots). */
function energyAt(knots: Array<[number, number]>, t: number): Ratio {
  if (knots.length === 0) return ZERO_R;
  const first = knots[0] as [number, number];
  if (t <= first[0]) return ZERO_R;
  for (let i = 1; i < knots.length; i++) {
    const [t1, e1] = knots[i] as [number, number];
    const [t0, e0] = knots[i - 1] as [number, number];
    if (t <= t1) {
      if (t1 === t0) return ratio(BigInt(e1));
      return ratio(
        BigInt(e0) * BigInt(t1 - t0) + BigInt(e1 - e0) * BigInt(t - t0),
        BigInt(t1 - t0),
      );
    }
  }
  return ratio(BigInt((knots[knots.length - 1] as [number, number])[1]));
}

/** The first instant (whole ms, rounded up) the energy reaches `wh`, if it does inside charging. */
function energyCrossing(knots: Array<[number, number]>, wh: number): number | null {
  for (let i = 1; i < knots.length; i++) {
    const [t0, e0] = knots[i - 1] as [number, number];
    const [t1, e1] = knots[i] as [number, number];
    if (e0 < wh && wh <= e1) {
      const num = BigInt(wh - e0) * BigInt(t1 - t0);
      const den = BigInt(e1 - e0);
      return t0 + Number((num + den - 1n) / den);
    }
  }
  return null;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

function holds(
  r: NonNullable<Tariff['elements'][number]['restrictions']>,
  p: Piece,
  start: number,
  zone: string,
): boolean {
  if (r.start_time !== undefined || r.end_time !== undefined || r.day_of_week !== undefined) {
    const lt = localTime(new Date(p.a), zone);
    if (r.day_of_week && !r.day_of_week.includes(WEEKDAY_NAMES[lt.weekday])) return false;
    const s = r.start_time === undefined ? undefined : minutesOf(r.start_time);
    const e = r.end_time === undefined ? undefined : minutesOf(r.end_time);
    const m = lt.minuteOfDay;
    if (s !== undefined && e !== undefined) {
      // A window past midnight (22:00-06:00) wraps; equal ends mean the whole day.
      const inside = s < e ? m >= s && m < e : s > e ? m >= s || m < e : true;
      if (!inside) return false;
    } else if (s !== undefined && m < s) return false;
    else if (e !== undefined && m >= e) return false;
  }
  const elapsed = p.a - start;
  if (r.min_duration_s !== undefined && elapsed < r.min_duration_s * 1000) return false;
  if (r.max_duration_s !== undefined && elapsed >= r.max_duration_s * 1000) return false;
  if (r.min_kwh !== undefined && compareRatio(p.e0, kwhRatio(r.min_kwh)) < 0) return false;
  if (r.max_kwh !== undefined && compareRatio(p.e0, kwhRatio(r.max_kwh)) >= 0) return false;
  if (r.min_power_kw !== undefined || r.max_power_kw !== undefined) {
    // Average power in the piece, W = Wh × 3,600,000 / ms; compared in W.
    const w = p.b > p.a ? mulRatio(p.de, ratio(MS_PER_HOUR, BigInt(p.b - p.a))) : ZERO_R;
    if (r.min_power_kw !== undefined && compareRatio(w, kwhRatio(r.min_power_kw)) < 0) return false;
    if (r.max_power_kw !== undefined && compareRatio(w, kwhRatio(r.max_power_kw)) >= 0)
      return false;
  }
  return true;
}

/** kWh (or kW) as exact Wh (or W). */
const kwhRatio = (kwh: number) => mulRatio(decimalToRatio(parseDecimal(kwh)), ratio(1000n));

/** Exact centavos of a quantity at a component price. */
function amountOf(dimension: Dimension, price: string, quantity: Ratio): Ratio {
  const p = decimalToRatio(parseDecimal(price));
  // ENERGY: R$/kWh × Wh / 1000 × 100; TIME, PARKING_TIME: R$/h × ms / 3,600,000 × 100.
  if (dimension === 'ENERGY') return mulRatio(p, mulRatio(quantity, ratio(1n, 10n)));
  if (dimension === 'FLAT') return mulRatio(p, ratio(100n));
  return mulRatio(p, mulRatio(quantity, ratio(100n, MS_PER_HOUR)));
}

function fixed(r: Ratio, decimals: number): string {
  const scaled = roundHalfEven(mulRatio(r, ratio(10n ** BigInt(decimals))));
  const s = scaled.toString().padStart(decimals + 1, '0');
  return `${s.slice(0, -decimals)}.${s.slice(-decimals)}`;
}

export function priceSession(tariff: Tariff, facts: SessionFacts): SessionPrice {
  const { start, end, cs, ce } = normalise(facts);
  const zone = facts.timeZone;
  const knots = energyKnots(facts, cs, ce);

  // Where to cut the timeline.
  const cuts = new Set<number>([start, end]);
  if (cs !== null) cuts.add(cs);
  if (ce !== null) cuts.add(ce);
  for (const [t] of knots) cuts.add(t);
  const clockMinutes = new Set<number>();
  for (const el of tariff.elements) {
    const r = el.restrictions;
    if (r) {
      if (r.start_time) clockMinutes.add(minutesOf(r.start_time));
      if (r.end_time) clockMinutes.add(minutesOf(r.end_time));
      if (r.day_of_week) clockMinutes.add(0);
      for (const s of [r.min_duration_s, r.max_duration_s])
        if (s !== undefined) cuts.add(start + s * 1000);
      for (const kwh of [r.min_kwh, r.max_kwh]) {
        if (kwh === undefined) continue;
        const t = energyCrossing(knots, Number(roundHalfEven(kwhRatio(kwh))));
        if (t !== null) cuts.add(t);
      }
    }
    for (const c of el.price_components)
      if (c.type === 'PARKING_TIME' && c.grace_minutes && ce !== null)
        cuts.add(ce + c.grace_minutes * 60_000);
  }
  for (const t of localCuts(start, end, zone, [...clockMinutes])) cuts.add(t);
  const points = [...cuts].filter((t) => t >= start && t <= end).sort((x, y) => x - y);

  const pieces: Piece[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as number;
    const b = points[i] as number;
    const activity: Activity =
      cs === null || a < cs ? 'waiting' : ce !== null && a >= ce ? 'parking' : 'charging';
    const e0 = energyAt(knots, a);
    pieces.push({ a, b, activity, e0, de: subRatio(energyAt(knots, b), e0) });
  }

  const lines = new Map<string, Line>();
  const lastOf = new Map<Dimension, Line>();
  let flat: Line | undefined;
  const pick = (dimension: Dimension, p: Piece) => {
    for (const [i, el] of tariff.elements.entries()) {
      const ci = el.price_components.findIndex((c) => c.type === dimension);
      if (ci < 0) continue;
      if (el.restrictions && !holds(el.restrictions, p, start, zone)) continue;
      return {
        i,
        ci,
        component: el.price_components[
          ci
        ] as Tariff['elements'][number]['price_components'][number],
      };
    }
    return undefined;
  };
  const bill = (dimension: Dimension, p: Piece, quantity: Ratio) => {
    const found = pick(dimension, p);
    if (!found) return;
    const { i, ci, component } = found;
    if (dimension === 'PARKING_TIME' && ce !== null) {
      const graceEnd = ce + (component.grace_minutes ?? 0) * 60_000;
      if (p.b <= graceEnd) return;
    }
    const key = `${dimension}:${i}:${ci}`;
    const line = lines.get(key) ?? {
      dimension,
      element: i,
      price: component.price,
      step: component.step_size,
      quantity: ZERO_R,
      from: p.a,
      to: p.b,
    };
    line.quantity = addRatio(line.quantity, quantity);
    line.to = p.b;
    lines.set(key, line);
    lastOf.set(dimension, line);
  };
  for (const p of pieces) {
    if (flat === undefined) {
      const found = pick('FLAT', p);
      if (found)
        flat = {
          dimension: 'FLAT',
          element: found.i,
          price: found.component.price,
          step: 1,
          quantity: ratio(1n),
          from: p.a,
          to: end,
        };
    }
    const ms = ratio(BigInt(p.b - p.a));
    if (p.activity === 'charging') {
      if (p.de.num > 0n) bill('ENERGY', p, p.de);
      bill('TIME', p, ms);
    } else if (p.activity === 'parking') bill('PARKING_TIME', p, ms);
  }

  // Steps: each dimension's total rounded up to the step of the last component that billed it.
  for (const [dimension, last] of lastOf) {
    const unit = dimension === 'ENERGY' ? 1n : 1000n;
    const step = ratio(BigInt(last.step) * unit);
    let total = ZERO_R;
    let cheapest = last;
    const priceOf = (l: Line) => decimalToRatio(parseDecimal(l.price));
    for (const l of lines.values()) {
      if (l.dimension !== dimension) continue;
      total = addRatio(total, l.quantity);
      if (compareRatio(priceOf(l), priceOf(cheapest)) < 0) cheapest = l;
    }
    const q = total.num / (total.den * step.num);
    const steps = q * total.den * step.num === total.num ? q : q + 1n;
    const billed = mulRatio(ratio(steps), step);
    cheapest.quantity = addRatio(cheapest.quantity, subRatio(billed, total));
  }

  const all = [...(flat ? [flat] : []), ...lines.values()].sort((x, y) => x.from - y.from);
  const exact = all.map((l) => amountOf(l.dimension, l.price, l.quantity));
  const exactTotal = exact.reduce(addRatio, ZERO_R);
  const rounded = roundHalfEven(exactTotal);
  const shares = splitLargestRemainder(rounded, exact);

  const iso = (t: number) => new Date(t).toISOString();
  const out: PricedLine[] = all.map((l, k) => ({
    dimension: l.dimension,
    element: l.element,
    price: l.price,
    quantity:
      l.dimension === 'FLAT'
        ? '1'
        : l.dimension === 'ENERGY'
          ? fixed(mulRatio(l.quantity, ratio(1n, 1000n)), 3)
          : fixed(mulRatio(l.quantity, ratio(1n, 60_000n)), 2),
    unit: l.dimension === 'FLAT' ? 'session' : l.dimension === 'ENERGY' ? 'kWh' : 'min',
    amountCentavos: centavos(shares[k] as bigint),
    from: iso(l.from),
    to: iso(l.to),
  }));

  let total = rounded;
  const bound = (text: string | undefined) =>
    text === undefined ? undefined : mulRatio(decimalToRatio(parseDecimal(text)), ratio(100n));
  const min = bound(tariff.min_price);
  const max = bound(tariff.max_price);
  let adjust: PricedLine['dimension'] | undefined;
  if (min && compareRatio(exactTotal, min) < 0) {
    total = roundHalfEven(min);
    adjust = 'MIN_PRICE';
  } else if (max && compareRatio(exactTotal, max) > 0) {
    total = roundHalfEven(max);
    adjust = 'MAX_PRICE';
  }
  if (adjust && total !== rounded)
    out.push({
      dimension: adjust,
      element: null,
      price: (adjust === 'MIN_PRICE' ? tariff.min_price : tariff.max_price) ?? null,
      quantity: '1',
      unit: 'session',
      amountCentavos: centavos(total - rounded),
      from: iso(start),
      to: iso(end),
    });

  const chargingMs = cs !== null && ce !== null ? ce - cs : 0;
  return {
    currency: 'BRL',
    lines: out,
    totalCentavos: centavos(total),
    energyWh: facts.energyWh,
    chargingSeconds: Math.round(chargingMs / 1000),
    parkingSeconds: ce === null ? 0 : Math.round((end - ce) / 1000),
  };
}

/**
 * Splits `total` (the rounded exact sum) over the exact amounts: each its floor, then one
 * centavo each to the largest fractional parts (earlier first on ties) until the total is met.
 */
function splitLargestRemainder(total: bigint, exact: readonly Ratio[]): bigint[] {
  const floors = exact.map((r) => {
    const q = r.num / r.den;
    return r.num < 0n && q * r.den !== r.num ? q - 1n : q;
  });
  let left = total - floors.reduce((s, f) => s + f, 0n);
  const order = exact
    .map((r, i) => ({ i, frac: subRatio(r, ratio(floors[i] as bigint)) }))
    .sort((x, y) => compareRatio(y.frac, x.frac) || x.i - y.i);
  for (const { i } of order) {
    if (left <= 0n) break;
    floors[i] = (floors[i] as bigint) + 1n;
    left -= 1n;
  }
  return floors;
}
