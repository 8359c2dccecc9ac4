import type { Locale } from '../../i18n/index.js';

/** Numbers of the driver pages through Intl: percentages, km, durations. */
export function driverFormat(locale: Locale) {
  const pct = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
  const km = new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: 'kilometer',
    maximumFractionDigits: 1,
  });
  const kwh = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const price = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: 'BRL',
    maximumFractionDigits: 4,
  });
  const money = new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' });
  const hours = new Intl.NumberFormat(locale, { style: 'unit', unit: 'hour' });
  const minutes = new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: 'minute',
    maximumFractionDigits: 0,
  });
  return {
    /** 80 → `80%` */
    pct: (value: number) => pct.format(value / 100),
    km: (value: number) => km.format(value),
    kwh: (value: number) => `${kwh.format(value)} kWh`,
    /** An amount in reais as decimal text (`10.00`, a booking's fee): `R$ 10,00`. */
    reais: (text: string) => money.format(text as unknown as number),
    /** A tariff price, decimal text in reais (`1.95`), per unit: `R$ 1,95/kWh` (exact: Intl reads the text). */
    price: (text: string, unit: 'kWh' | 'min' | 'session') => {
      const amount = price.format(text as unknown as number);
      return unit === 'session' ? amount : `${amount}/${unit === 'min' ? 'h' : 'kWh'}`;
    },
    /** 95 → `1 h 35 min` */
    duration: (total: number) => {
      const m = Math.round(total);
      const h = Math.floor(m / 60);
      return h > 0 ? `${hours.format(h)} ${minutes.format(m % 60)}` : minutes.format(m);
    },
  };
}
