import { useState } from 'preact/hooks';
import { getJson, type Invoice, type InvoiceLine, type Page } from '../api/index.js';
import { useApi } from '../app/use-api.js';
import { PixQr } from '../components/pix-qr.js';
import { type I18n, type MessageKey, useI18n } from '../i18n/index.js';

const TAX_NAMES: Record<string, string> = { icms: 'ICMS', pis: 'PIS/PASEP', cofins: 'COFINS' };

function lineLabel(l: InvoiceLine, t: I18n['t']): string {
  const [head, rest = ''] = l.code.split(/\.(.*)/s);
  if (l.code === 'energy') return t('line.energy');
  if (head === 'energy' && rest.startsWith('tier-'))
    return t('line.energy.tier', { n: rest.slice(5) });
  if (head === 'energy' && ['ponta', 'intermediario', 'fora-de-ponta'].includes(rest))
    return t(`line.energy.${rest}` as MessageKey);
  if (l.code === 'availability') return t('line.availability');
  if (head === 'bandeira')
    return t('line.bandeira', {
      flag: ['verde', 'amarela', 'vermelha1', 'vermelha2'].includes(rest)
        ? t(`flag.${rest}` as MessageKey)
        : rest,
    });
  if (head === 'tax') return t('line.tax', { name: TAX_NAMES[rest] ?? rest.toUpperCase() });
  if (l.code === 'public-lighting') return t('line.public-lighting');
  return l.description;
}

/** The invoice: every line the API gives, totals, due date, Pix QR and copia e cola, 12 months. */
export function InvoicePage() {
  const { t, f } = useI18n();
  const list = useApi(() => getJson<Page<Invoice>>('/invoices?limit=12'), []);
  const [chosen, setChosen] = useState<number | null>(null);
  const [copied, setCopied] = useState(false);
  const invoices = list.data?.items ?? [];
  const invoice = invoices.find((i) => i.id === chosen) ?? invoices[0];
  if (list.error) return <p role="alert">{t('error.generic', { message: list.error.message })}</p>;
  if (list.loading && !list.data) return <p>{t('loading')}</p>;
  if (!invoice)
    return (
      <section>
        <h1>{t('invoice.title')}</h1>
        <p>{t('invoice.none')}</p>
      </section>
    );
  const copy = async () => {
    if (!invoice.pixPayload) return;
    await navigator.clipboard.writeText(invoice.pixPayload);
    setCopied(true);
  };
  return (
    <section class="invoice">
      <h1>
        {t('invoice.title')} {invoice.number}
      </h1>
      <p class="no-print">
        <label>
          {t('invoice.pick')}{' '}
          <select
            value={invoice.id}
            onChange={(e) => {
              setChosen(Number(e.currentTarget.value));
              setCopied(false);
            }}
          >
            {invoices.map((i) => (
              <option key={i.id} value={i.id}>
                {f.monthOf(i.period.start)} — {i.number}
              </option>
            ))}
          </select>
        </label>{' '}
        <button type="button" onClick={() => print()}>
          {t('invoice.print')}
        </button>
      </p>
      <dl class="facts">
        <dt>{t('invoice.period')}</dt>
        <dd>{f.monthOf(invoice.period.start)}</dd>
        <dt>{t('invoice.due')}</dt>
        <dd data-testid="due">{f.date(invoice.dueDate)}</dd>
        <dt>{t('invoice.status')}</dt>
        <dd>{t(`invoice.status.${invoice.status}`)}</dd>
        <dt>{t('invoice.measured')}</dt>
        <dd>{f.kwhText(invoice.consumptionKwh)}</dd>
        <dt>{t('invoice.billed')}</dt>
        <dd>{f.kwhText(invoice.billedKwh)}</dd>
        <dt>{t('invoice.total')}</dt>
        <dd class="amount" data-testid="invoice-total">
          {f.money(invoice.totalCentavos)}
        </dd>
      </dl>
      <table data-testid="invoice-lines">
        <caption>{t('invoice.lines')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('invoice.col.item')}</th>
            <th scope="col" class="n">
              {t('invoice.col.quantity')}
            </th>
            <th scope="col" class="n">
              {t('invoice.col.amount')}
            </th>
          </tr>
        </thead>
        <tbody>
          {invoice.lines.map((l) => (
            <tr key={l.code}>
              <th scope="row">{lineLabel(l, t)}</th>
              <td class="n">
                {l.quantityWh !== undefined
                  ? f.kwhOfWh(Number(l.quantityWh))
                  : l.kind === 'tax' && l.unitPrice
                    ? f.percent(l.unitPrice)
                    : ''}
              </td>
              <td class="n">{f.money(Number(l.amount))}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t('invoice.total')}</th>
            <td />
            <td class="n">{f.money(invoice.totalCentavos)}</td>
          </tr>
        </tfoot>
      </table>
      <section class="pix" aria-labelledby="pix-title">
        <h2 id="pix-title">{t('invoice.pix')}</h2>
        {invoice.pixPayload ? (
          <>
            <PixQr invoiceId={invoice.id} label={t('invoice.pix.qr', { number: invoice.number })} />
            <label for="pix-code">{t('invoice.pix.copy')}</label>
            <textarea
              id="pix-code"
              readOnly
              rows={3}
              value={invoice.pixPayload}
              data-testid="pix-code"
            />
            <p>
              <button type="button" class="no-print" onClick={copy}>
                {t('invoice.pix.copyButton')}
              </button>{' '}
              <span role="status">{copied ? t('invoice.pix.copied') : ''}</span>
            </p>
          </>
        ) : (
          <p>{t('invoice.pix.none')}</p>
        )}
      </section>
      <table data-testid="invoice-history">
        <caption>{t('invoice.history')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('invoice.col.month')}</th>
            <th scope="col" class="n">
              {t('invoice.measured')}
            </th>
            <th scope="col" class="n">
              {t('invoice.total')}
            </th>
          </tr>
        </thead>
        <tbody>
          {invoices.map((i) => (
            <tr key={i.id}>
              <th scope="row">{f.monthOf(i.period.start)}</th>
              <td class="n">{f.kwhText(i.consumptionKwh)}</td>
              <td class="n">{f.money(i.totalCentavos)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
