import { useState } from 'preact/hooks';
import { getJson, type Page } from '../../api/index.js';
import { useApi } from '../../app/use-api.js';
import { type MessageKey, useI18n } from '../../i18n/index.js';
import { driverFormat } from './format.js';
import { ReceiptQr } from './receipt-qr.js';
import type { ChargingSession, Receipt } from './types.js';

/**
 * The driver's priced charging sessions (GET /sessions) and the chosen one's receipt
 * (GET /sessions/{id}/receipt): lines, total, the Pix QR and "copia e cola" with a copy button.
 */
export function DriverReceiptsPage() {
  const { t, f } = useI18n();
  const sessions = useApi(() => getJson<Page<ChargingSession>>('/sessions?limit=100'), []);
  const priced = (sessions.data?.items ?? []).filter((s) => s.state === 'priced');
  const asked = Number(new URLSearchParams(location.search).get('session'));
  const [chosen, setChosen] = useState<number | null>(null);
  const id = chosen ?? (priced.some((s) => s.id === asked) ? asked : (priced[0]?.id ?? null));
  return (
    <section>
      <h1>{t('dr.rcpt.title')}</h1>
      {sessions.error && (
        <p role="alert">{t('error.generic', { message: sessions.error.message })}</p>
      )}
      {sessions.loading && !sessions.data && <p>{t('loading')}</p>}
      {sessions.data && priced.length === 0 && <p>{t('dr.rcpt.none')}</p>}
      {priced.length > 0 && (
        <p class="no-print">
          <label for="receipt-session">{t('dr.rcpt.choose')}</label>{' '}
          <select
            id="receipt-session"
            value={String(id)}
            onChange={(e) => setChosen(Number(e.currentTarget.value))}
          >
            {priced.map((s) => (
              <option key={s.id} value={String(s.id)}>
                {t('dr.rcpt.option', {
                  id: s.id,
                  date: f.dateTime(s.startedAt),
                  total: f.money(s.totalCentavos ?? 0),
                })}
              </option>
            ))}
          </select>
        </p>
      )}
      {id !== null && <ReceiptView key={id} id={id} />}
    </section>
  );
}

function ReceiptView(props: { id: number }) {
  const { t, f, locale } = useI18n();
  const d = driverFormat(locale);
  const receipt = useApi(() => getJson<Receipt>(`/sessions/${props.id}/receipt`), [props.id]);
  const [copied, setCopied] = useState(false);
  const r = receipt.data;
  if (receipt.error)
    return <p role="alert">{t('error.generic', { message: receipt.error.message })}</p>;
  if (!r) return <p>{t('loading')}</p>;
  const copy = async () => {
    if (!r.pix) return;
    await navigator.clipboard.writeText(r.pix.payload);
    setCopied(true);
  };
  return (
    <article aria-labelledby="receipt-title" data-testid="receipt" data-session={r.sessionId}>
      <h2 id="receipt-title">{t('dr.rcpt.session', { id: r.sessionId })}</h2>
      <dl class="facts">
        <dt>{t('dr.rcpt.point')}</dt>
        <dd>{r.pointId}</dd>
        <dt>{t('dr.rcpt.plate')}</dt>
        <dd>{r.plate ?? '—'}</dd>
        <dt>{t('dr.rcpt.period')}</dt>
        <dd>
          {f.dateTime(r.startedAt)} – {f.dateTime(r.endedAt)}
        </dd>
        <dt>{t('dr.rcpt.energy')}</dt>
        <dd>{f.kwhOfWh(r.energyWh)}</dd>
      </dl>
      <table data-testid="receipt-lines">
        <caption class="visually-hidden">{t('dr.rcpt.session', { id: r.sessionId })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('dr.rcpt.col.item')}</th>
            <th scope="col" class="n">
              {t('dr.rcpt.col.quantity')}
            </th>
            <th scope="col" class="n">
              {t('dr.rcpt.col.price')}
            </th>
            <th scope="col" class="n">
              {t('dr.rcpt.col.amount')}
            </th>
          </tr>
        </thead>
        <tbody>
          {r.lines.map((l, i) => (
            <tr key={i}>
              <th scope="row">{t(`dr.rcpt.dim.${l.dimension}` as MessageKey)}</th>
              <td class="n">
                {l.unit === 'kWh'
                  ? f.kwhText(l.quantity)
                  : l.unit === 'min'
                    ? d.duration(Number(l.quantity))
                    : l.quantity}
              </td>
              <td class="n">{l.price === null ? '' : d.price(l.price, l.unit)}</td>
              <td class="n">{f.money(l.amountCentavos)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">{t('dr.rcpt.total')}</th>
            <td />
            <td />
            <td class="n amount" data-testid="receipt-total">
              {f.money(r.totalCentavos)}
            </td>
          </tr>
        </tfoot>
      </table>
      <p>{r.paidAt ? t('dr.rcpt.paid', { at: f.dateTime(r.paidAt) }) : t('dr.rcpt.unpaid')}</p>
      <section class="pix" aria-labelledby="receipt-pix-title">
        <h2 id="receipt-pix-title">{t('dr.rcpt.pix')}</h2>
        {r.pix ? (
          <>
            <ReceiptQr sessionId={r.sessionId} label={t('dr.rcpt.pix.qr', { id: r.sessionId })} />
            <label for="receipt-pix-code">{t('dr.rcpt.pix.copy')}</label>
            <textarea
              id="receipt-pix-code"
              readOnly
              rows={3}
              value={r.pix.payload}
              data-testid="receipt-pix-code"
            />
            <p>
              <button type="button" class="no-print" onClick={copy}>
                {t('dr.rcpt.pix.copyButton')}
              </button>{' '}
              <span role="status">{copied ? t('dr.rcpt.pix.copied') : ''}</span>
            </p>
          </>
        ) : (
          <p>{t('dr.rcpt.pix.none')}</p>
        )}
      </section>
    </article>
  );
}
