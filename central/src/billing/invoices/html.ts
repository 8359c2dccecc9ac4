import { type Centavos, formatBrl, formatKwh, type WattHours } from '../../money/index.js';
import type { InvoiceLine } from '../tariffs/index.js';
import type { InvoiceView } from './store.js';

export interface InvoiceParty {
  name: string;
  /** Already formatted (`123.456.789-09`). */
  document: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const brDate = (iso: string) => iso.split('-').reverse().join('/');

/**
 * A self-contained printable invoice (pt-BR): lines, totals, due date, Pix "copia e cola" and its
 * QR code as inline SVG. No scripts or external assets, so it prints offline.
 */
export function renderInvoiceHtml(
  invoice: InvoiceView,
  customer: InvoiceParty,
  qrSvg: string | null,
): string {
  const rows = (invoice.lines as InvoiceLine[])
    .map(
      (l) => `<tr><td>${escapeHtml(l.description)}</td>
<td class="n">${l.quantityWh === undefined ? '' : `${formatKwh(l.quantityWh as WattHours)} kWh`}</td>
<td class="n">${escapeHtml(l.unitPrice ?? '')}</td>
<td class="n">${formatBrl(l.amount as Centavos)}</td></tr>`,
    )
    .join('\n');
  const pix = invoice.pixPayload
    ? `<section class="pix"><h2>Pague com Pix</h2>${qrSvg ?? ''}
<p>Pix copia e cola:</p><p class="code">${escapeHtml(invoice.pixPayload)}</p></section>`
    : '<section class="pix"><p>Pix não configurado para esta fatura.</p></section>';
  return `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8">
<title>Fatura ${invoice.id} — ${escapeHtml(invoice.period.start.slice(0, 7))}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#111}
table{width:100%;border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.3rem}
.n{text-align:right;white-space:nowrap}.total{font-size:1.4rem;font-weight:bold}
.code{font-family:monospace;word-break:break-all;font-size:.8rem}.pix svg{width:12rem;height:12rem}
@media print{body{margin:0}}
</style></head><body>
<h1>Fatura de energia nº ${invoice.id}</h1>
<p>${escapeHtml(customer.name)} — ${escapeHtml(customer.document)}</p>
<p>Medidor ${invoice.meterId} · Período ${brDate(invoice.period.start)} a ${brDate(invoice.period.end)} (exclusivo) · ${escapeHtml(invoice.period.timeZone)}</p>
<p>Consumo medido: ${invoice.consumptionKwh} kWh · Faturado: ${invoice.billedKwh} kWh · Tarifa ${escapeHtml(invoice.tariffId)}</p>
<table><thead><tr><th>Descrição</th><th class="n">Quantidade</th><th class="n">Preço</th><th class="n">Valor</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p class="total">Total a pagar: ${formatBrl(invoice.totalCentavos as Centavos)}</p>
<p>Vencimento: ${brDate(invoice.dueDate)} · Situação: ${escapeHtml(invoice.status)}</p>
${pix}
</body></html>`;
}
