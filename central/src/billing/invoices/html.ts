import { html, raw } from 'hono/html';
import type { InvoiceLine } from '../tariffs/index.js';
import type { InvoiceView } from './store.js';

export interface InvoiceParty {
  name: string;
  /** Already formatted (`123.456.789-09`). */
  document: string;
}

/** The languages the printable invoice is written in; pt-BR unless asked otherwise. */
export const invoiceLanguages = ['pt-BR', 'en'] as const;
export type InvoiceLanguage = (typeof invoiceLanguages)[number];

/**
 * `?lang=` when given (pt-BR, pt, en…), else the first Accept-Language range we speak
 * (q-values honoured), else pt-BR.
 */
export function invoiceLanguage(lang?: string, acceptLanguage?: string): InvoiceLanguage {
  const pick = (tag: string): InvoiceLanguage | undefined => {
    const t = tag.trim().toLowerCase();
    if (t === 'pt' || t.startsWith('pt-')) return 'pt-BR';
    if (t === 'en' || t.startsWith('en-')) return 'en';
    return undefined;
  };
  if (lang) return pick(lang) ?? 'pt-BR';
  const ranges = (acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag, q: q === undefined ? 1 : Number(q), i };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    const l = pick(r.tag);
    if (l) return l;
  }
  return 'pt-BR';
}

interface Words {
  htmlLang: string;
  title: string;
  invoice: string;
  meter: string;
  period: (from: string, to: string) => string;
  measured: string;
  billed: string;
  tariff: string;
  head: [string, string, string, string];
  total: string;
  due: string;
  status: string;
  states: Record<string, string>;
  payPix: string;
  pixCode: string;
  noPix: string;
  lines: {
    energy: string;
    tier: (n: string) => string;
    posto: Record<string, string>;
    availability: string;
    bandeira: (flag: string) => string;
    flags: Record<string, string>;
    publicLighting: string;
  };
}

/** The translation table: every word of the page, per language. */
const WORDS: Record<InvoiceLanguage, Words> = {
  'pt-BR': {
    htmlLang: 'pt-BR',
    title: 'Fatura',
    invoice: 'Fatura de energia nº',
    meter: 'Medidor',
    period: (from, to) => `Período de ${from} a ${to}`,
    measured: 'Consumo medido',
    billed: 'Faturado',
    tariff: 'Tarifa',
    head: ['Descrição', 'Quantidade', 'Preço', 'Valor'],
    total: 'Total a pagar',
    due: 'Vencimento',
    status: 'Situação',
    states: { open: 'Em aberto', paid: 'Paga', cancelled: 'Cancelada' },
    payPix: 'Pague com Pix',
    pixCode: 'Pix copia e cola:',
    noPix: 'Pix não configurado para esta fatura.',
    lines: {
      energy: 'Consumo',
      tier: (n) => `Consumo, faixa ${n}`,
      posto: {
        ponta: 'Consumo na ponta',
        intermediario: 'Consumo intermediário',
        'fora-de-ponta': 'Consumo fora de ponta',
      },
      availability: 'Custo de disponibilidade',
      bandeira: (flag) => `Bandeira ${flag}`,
      flags: {
        verde: 'verde',
        amarela: 'amarela',
        vermelha1: 'vermelha patamar 1',
        vermelha2: 'vermelha patamar 2',
      },
      publicLighting: 'Contribuição de iluminação pública (CIP)',
    },
  },
  en: {
    htmlLang: 'en',
    title: 'Invoice',
    invoice: 'Electricity invoice no.',
    meter: 'Meter',
    period: (from, to) => `Period ${from} to ${to}`,
    measured: 'Measured consumption',
    billed: 'Billed',
    tariff: 'Tariff',
    head: ['Description', 'Quantity', 'Price', 'Amount'],
    total: 'Amount due',
    due: 'Due date',
    status: 'Status',
    states: { open: 'Open', paid: 'Paid', cancelled: 'Cancelled' },
    payPix: 'Pay with Pix',
    pixCode: 'Pix copy and paste:',
    noPix: 'No Pix code for this invoice.',
    lines: {
      energy: 'Energy',
      tier: (n) => `Energy, tier ${n}`,
      posto: {
        ponta: 'Energy, peak',
        intermediario: 'Energy, shoulder',
        'fora-de-ponta': 'Energy, off-peak',
      },
      availability: 'Minimum availability charge',
      bandeira: (flag) => `Tariff flag: ${flag}`,
      flags: {
        verde: 'green',
        amarela: 'yellow',
        vermelha1: 'red, level 1',
        vermelha2: 'red, level 2',
      },
      publicLighting: 'Public lighting contribution (CIP)',
    },
  },
};

const TAX_NAMES: Record<string, string> = { icms: 'ICMS', pis: 'PIS/PASEP', cofins: 'COFINS' };

/** The numbers of one language, all through Intl; decimal text is formatted exactly (no float). */
function formats(lang: InvoiceLanguage) {
  const kwh = new Intl.NumberFormat(lang, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  const money = new Intl.NumberFormat(lang, { style: 'currency', currency: 'BRL' });
  const price = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 8 });
  const percent = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 6 });
  // English dates as ISO 8601 (2024-01-31): month-first dates mislead a Brazilian reader too.
  const date = new Intl.DateTimeFormat(lang === 'en' ? 'en-CA' : lang, {
    timeZone: 'UTC',
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
  });
  // Intl formats decimal strings exactly (ECMA-402 NumberFormat v3, Node ≥ 20).
  const decimal = (text: string) => text as unknown as number;
  /** An integer of 1/10^digits units as exact decimal text: (26804, 2) → `268.04`. */
  const scaled = (value: number, digits: number) => {
    const n = BigInt(value);
    const abs = n < 0n ? -n : n;
    const unit = 10n ** BigInt(digits);
    return `${n < 0n ? '-' : ''}${abs / unit}.${String(abs % unit).padStart(digits, '0')}`;
  };
  return {
    kwh: (wh: number) => `${kwh.format(decimal(scaled(wh, 3)))} kWh`,
    kwhText: (text: string) => `${kwh.format(decimal(text))} kWh`,
    money: (centavos: number) => money.format(decimal(scaled(centavos, 2))),
    price: (text: string, unit: string) => `R$\u00a0${price.format(decimal(text))}${unit}`,
    percent: (rate: string) => percent.format(decimal(rate)),
    /** A civil date `YYYY-MM-DD` (no zone: read as UTC midnight, printed as UTC). */
    date: (iso: string) => date.format(new Date(`${iso}T00:00:00Z`)),
  };
}

function lineLabel(l: InvoiceLine, w: Words): string {
  const [head, rest = ''] = l.code.split(/\.(.*)/s);
  if (l.code === 'energy') return w.lines.energy;
  if (head === 'energy' && rest.startsWith('tier-')) return w.lines.tier(rest.slice(5));
  if (head === 'energy' && w.lines.posto[rest]) return w.lines.posto[rest] as string;
  if (l.code === 'availability') return w.lines.availability;
  if (head === 'bandeira') return w.lines.bandeira(w.lines.flags[rest] ?? rest);
  if (head === 'tax') return TAX_NAMES[rest] ?? rest.toUpperCase();
  if (l.code === 'public-lighting') return w.lines.publicLighting;
  return l.description;
}

function linePrice(l: InvoiceLine, f: ReturnType<typeof formats>): string {
  if (l.unitPrice === undefined) return '';
  if (l.kind === 'tax') return f.percent(l.unitPrice);
  if (l.kind === 'bandeira') return f.price(l.unitPrice, '/100 kWh');
  return f.price(l.unitPrice, '/kWh');
}

/**
 * A self-contained printable invoice, in pt-BR (default) or English: lines, totals, due date,
 * Pix "copia e cola" and its QR code as inline SVG. No scripts or external assets, so it prints
 * offline. Written with hono's `html` template: every value is escaped; only the QR code's SVG,
 * which we generate, goes in raw.
 */
export function renderInvoiceHtml(
  invoice: InvoiceView,
  customer: InvoiceParty,
  qrSvg: string | null,
  lang: InvoiceLanguage = 'pt-BR',
): string {
  const w = WORDS[lang];
  const f = formats(lang);
  const lastDay = new Date(Date.parse(`${invoice.period.end}T00:00:00Z`) - 86_400_000)
    .toISOString()
    .slice(0, 10);
  const rows = (invoice.lines as InvoiceLine[]).map(
    (l) => html`<tr><td>${lineLabel(l, w)}</td>
<td class="n">${l.quantityWh === undefined ? '' : f.kwh(Number(l.quantityWh))}</td>
<td class="n">${linePrice(l, f)}</td>
<td class="n">${f.money(Number(l.amount))}</td></tr>
`,
  );
  const pix = invoice.pixPayload
    ? html`<section class="pix"><h2>${w.payPix}</h2>${raw(qrSvg ?? '')}
<p>${w.pixCode}</p><p class="code">${invoice.pixPayload}</p></section>`
    : html`<section class="pix"><p>${w.noPix}</p></section>`;
  const page = html`<!doctype html>
<html lang="${w.htmlLang}"><head><meta charset="utf-8">
<title>${w.title} ${invoice.number} — ${invoice.period.start.slice(0, 7)}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#111}
table{width:100%;border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.3rem}
.n{text-align:right;white-space:nowrap}.total{font-size:1.4rem;font-weight:bold}
.code{font-family:monospace;word-break:break-all;font-size:.8rem}.pix svg{width:12rem;height:12rem}
@media print{body{margin:0}}
</style></head><body>
<h1>${w.invoice} ${invoice.number}</h1>
<p>${customer.name} — ${customer.document}</p>
<p>${w.meter} ${invoice.meterId} · ${w.period(f.date(invoice.period.start), f.date(lastDay))} · ${invoice.period.timeZone}</p>
<p>${w.measured}: ${f.kwhText(invoice.consumptionKwh)} · ${w.billed}: ${f.kwhText(invoice.billedKwh)} · ${w.tariff} ${invoice.tariffId}</p>
<table><thead><tr><th>${w.head[0]}</th><th class="n">${w.head[1]}</th><th class="n">${w.head[2]}</th><th class="n">${w.head[3]}</th></tr></thead>
<tbody>
${rows}</tbody></table>
<p class="total">${w.total}: ${f.money(invoice.totalCentavos)}</p>
<p>${w.due}: ${f.date(invoice.dueDate)} · ${w.status}: ${w.states[invoice.status] ?? invoice.status}</p>
${pix}
</body></html>`;
  // Synchronous: no value above is a promise.
  if (page instanceof Promise) throw new Error('invoice template produced a promise');
  return String(page);
}
