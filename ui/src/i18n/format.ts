import type { Locale } from './messages.js';

/** An integer of 1/10^digits units as exact decimal text: (26804, 2) → `268.04`. */
export function scaled(value: number, digits: number): string {
  const n = BigInt(value);
  const abs = n < 0n ? -n : n;
  const unit = 10n ** BigInt(digits);
  return `${n < 0n ? '-' : ''}${abs / unit}.${String(abs % unit).padStart(digits, '0')}`;
}

/** Intl formats decimal strings exactly (ECMA-402 NumberFormat v3): no float on the way. */
const decimal = (text: string) => text as unknown as number;

/** Every number, amount and date the UI shows, through Intl in one locale and time zone. */
export function formatters(locale: Locale, timeZone: string) {
  const kwh = new Intl.NumberFormat(locale, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' });
  const kilowatts = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  const percent = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 4 });
  // English dates as ISO 8601 (2024-01-31): month-first dates mislead a Brazilian reader too.
  const dateLocale = locale === 'en' ? 'en-CA' : locale;
  const civil = new Intl.DateTimeFormat(dateLocale, { timeZone: 'UTC', dateStyle: 'short' });
  const monthYear = new Intl.DateTimeFormat(locale, {
    timeZone: 'UTC',
    month: 'long',
    year: 'numeric',
  });
  const dateTime = new Intl.DateTimeFormat(dateLocale, {
    timeZone,
    dateStyle: 'short',
    timeStyle: 'short',
  });
  const hour = new Intl.DateTimeFormat(dateLocale, {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
  });
  const dayHour = new Intl.DateTimeFormat(dateLocale, {
    timeZone,
    day: '2-digit',
    month: '2-digit',
    hour: '2-digit',
  });
  const day = new Intl.DateTimeFormat(dateLocale, { timeZone, day: '2-digit', month: '2-digit' });
  const month = new Intl.DateTimeFormat(locale, { timeZone, month: 'short' });
  const year = new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric' });
  return {
    /** `12.345` (decimal text of kWh) → `12,345 kWh`. */
    kwhText: (text: string) => `${kwh.format(decimal(text))} kWh`,
    kwhNumber: (text: string) => kwh.format(decimal(text)),
    kwhOfWh: (wh: number) => `${kwh.format(decimal(scaled(wh, 3)))} kWh`,
    money: (centavos: number) => money.format(decimal(scaled(centavos, 2))),
    kw: (kw: number) => `${kilowatts.format(kw)} kW`,
    percent: (rate: string) => percent.format(decimal(rate)),
    /** A civil date `YYYY-MM-DD`. */
    date: (iso: string) => civil.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`)),
    /** A billing month `YYYY-MM-DD` (its first day) → `novembro de 2026`. */
    monthOf: (iso: string) => monthYear.format(new Date(`${iso.slice(0, 10)}T00:00:00Z`)),
    dateTime: (instant: string) => dateTime.format(new Date(instant)),
    time: (instant: string) => hour.format(new Date(instant)),
    /** A bucket's start, as precise as its granularity. */
    bucket: (instant: string, granularity: string) =>
      (granularity === 'hour'
        ? dayHour
        : granularity === 'day'
          ? day
          : granularity === 'month'
            ? month
            : year
      ).format(new Date(instant)),
  };
}

export type Formatters = ReturnType<typeof formatters>;
