import { html, raw } from 'hono/html';
import { formatBrl } from '../../money/index.js';
import type { Receipt } from './receipt.js';

const LABELS: Record<string, string> = {
  ENERGY: 'Energia',
  TIME: 'Tempo carregando',
  PARKING_TIME: 'Tempo parado após a carga',
  FLAT: 'Tarifa de conexão',
  MIN_PRICE: 'Ajuste ao preço mínimo',
  MAX_PRICE: 'Ajuste ao preço máximo',
};
const UNITS: Record<string, string> = { kWh: 'kWh', min: 'min', session: '' };

/**
 * The printable receipt of a charging session (pt-BR): lines, total, Pix copia e cola and its QR
 * as inline SVG. No scripts or external assets. hono's `html` escapes every value; only the QR's
 * SVG, which we generate, goes in raw.
 */
export function renderReceiptHtml(r: Receipt, qrSvg: string | null): string {
  const when = (iso: string) =>
    new Intl.DateTimeFormat('pt-BR', {
      timeZone: r.timeZone,
      dateStyle: 'short',
      timeStyle: 'short',
    }).format(new Date(iso));
  const rows = r.lines.map(
    (l) => html`<tr><td>${LABELS[l.dimension] ?? l.dimension}</td>
<td class="n">${l.unit === 'session' ? '' : `${l.quantity.replace('.', ',')} ${UNITS[l.unit]}`}</td>
<td class="n">${formatBrl(l.amountCentavos)}</td></tr>
`,
  );
  const pix = r.pix
    ? html`<section class="pix"><h2>Pague com Pix</h2>${raw(qrSvg ?? '')}
<p>Pix copia e cola:</p><p class="code">${r.pix.payload}</p></section>`
    : html`<section class="pix"><p>Sem código Pix para esta sessão.</p></section>`;
  const page = html`<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8">
<title>Recibo de recarga nº ${r.sessionId}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;color:#111}
table{width:100%;border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.3rem}
.n{text-align:right;white-space:nowrap}.total{font-size:1.4rem;font-weight:bold}
.code{font-family:monospace;word-break:break-all;font-size:.8rem}.pix svg{width:12rem;height:12rem}
</style></head><body>
<h1>Recibo de recarga nº ${r.sessionId}</h1>
<p>Ponto ${r.pointId}${r.plate ? ` · veículo ${r.plate}` : ''}</p>
<p>De ${when(r.startedAt)} a ${when(r.endedAt)} (${r.timeZone})</p>
<table><thead><tr><th>Descrição</th><th class="n">Quantidade</th><th class="n">Valor</th></tr></thead>
<tbody>
${rows}</tbody></table>
<p class="total">Total: ${r.total}</p>
${pix}
</body></html>`;
  if (page instanceof Promise) throw new Error('receipt template produced a promise');
  return String(page);
}
