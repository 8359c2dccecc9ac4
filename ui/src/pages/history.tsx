import { useMemo, useState } from 'preact/hooks';
import {
  type ConsumptionHistory,
  type Granularity,
  getJson,
  loadSession,
  type Period,
} from '../api/index.js';
import { useApi } from '../app/use-api.js';
import { Chart } from '../components/chart.js';
import type { ChartData } from '../components/chart-draw.js';
import { LivePower } from '../components/live-power.js';
import { formatters, useI18n } from '../i18n/index.js';

const PERIODS: Period[] = ['day', 'month', 'year'];
/** The granularities finer than each period (the API's default first). */
const DETAIL: Record<Period, Granularity[]> = {
  day: ['hour'],
  month: ['day', 'hour'],
  year: ['month', 'day', 'hour'],
};
/** At most this many table rows on one page (a month of hours). */
const ROWS = 744;

const historyOf = (customerId: number, period: Period, granularity: Granularity, offset: number) =>
  getJson<ConsumptionHistory>(
    `/customers/${customerId}/consumption?period=${period}&granularity=${granularity}&offset=${offset}`,
  );

/** Consumption by hour/day/month/year: period navigation, compare to previous, chart and table. */
export function HistoryPage() {
  const { t, locale } = useI18n();
  const customerId = loadSession()?.customerId ?? 0;
  const query = new URLSearchParams(location.search);
  const [period, setPeriod] = useState<Period>((query.get('period') as Period) ?? 'month');
  const [granularity, setGranularity] = useState<Granularity>(
    (query.get('granularity') as Granularity) ?? DETAIL[period][0],
  );
  const [offset, setOffset] = useState(0);
  const [compare, setCompare] = useState(false);
  const [page, setPage] = useState(0);
  const detail = DETAIL[period].includes(granularity)
    ? granularity
    : (DETAIL[period][0] as Granularity);
  const current = useApi(
    () => historyOf(customerId, period, detail, offset),
    [customerId, period, detail, offset],
  );
  const previous = useApi(
    () => (compare ? historyOf(customerId, period, detail, offset + 1) : Promise.resolve(null)),
    [customerId, period, detail, offset, compare],
  );
  const history = current.data;
  const f = useMemo(
    () => formatters(locale, history?.timeZone ?? 'UTC'),
    [locale, history?.timeZone],
  );
  const before = compare ? previous.data : null;
  const periodText = history ? periodLabel(history, period, f) : '';
  const data = useMemo<ChartData | null>(() => {
    if (!history) return null;
    const n = history.buckets.length;
    const every = Math.max(1, Math.ceil(n / 8));
    return {
      values: history.buckets.map((b) => b.wh),
      compare: before?.buckets.map((b) => b.wh),
      ticks: history.buckets
        .map((b, index) => ({ index, text: f.bucket(b.startsAt, history.granularity) }))
        .filter((_, i) => i % every === 0),
      axis: (wh) => f.kwhOfWh(Math.round(wh)),
    };
  }, [history, before, f]);
  const rows = history?.buckets.slice(page * ROWS, (page + 1) * ROWS) ?? [];
  const pages = Math.ceil((history?.buckets.length ?? 0) / ROWS);

  return (
    <section>
      <h1>{t('history.title')}</h1>
      <LivePower customerId={customerId} />
      <fieldset class="controls">
        <legend class="visually-hidden">{t('history.period')}</legend>
        <label>
          {t('history.period')}{' '}
          <select
            value={period}
            onChange={(e) => {
              setPeriod(e.currentTarget.value as Period);
              setOffset(0);
              setPage(0);
            }}
          >
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {t(`history.period.${p}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('history.granularity')}{' '}
          <select
            value={detail}
            onChange={(e) => {
              setGranularity(e.currentTarget.value as Granularity);
              setPage(0);
            }}
          >
            {DETAIL[period].map((g) => (
              <option key={g} value={g}>
                {t(`history.granularity.${g as 'hour' | 'day' | 'month'}`)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() => {
            setOffset(offset + 1);
            setPage(0);
          }}
          aria-label={t('history.previous')}
        >
          ‹
        </button>
        <output aria-live="polite" class="period-text">
          {periodText}
        </output>
        <button
          type="button"
          onClick={() => {
            setOffset(offset - 1);
            setPage(0);
          }}
          disabled={offset === 0}
          aria-label={t('history.next')}
        >
          ›
        </button>
        <label>
          <input
            type="checkbox"
            checked={compare}
            onChange={(e) => setCompare(e.currentTarget.checked)}
          />{' '}
          {t('history.compare')}
        </label>
      </fieldset>
      {current.error && (
        <p role="alert">{t('error.generic', { message: current.error.message })}</p>
      )}
      {!history && !current.error && <p>{t('loading')}</p>}
      {history && data && (
        <>
          <p class="total">
            {t('history.total')}: <strong data-testid="total">{f.kwhText(history.totalKwh)}</strong>
            {before && (
              <span class="muted">
                {' '}
                ({t('history.previous')}: {f.kwhText(before.totalKwh)})
              </span>
            )}
          </p>
          {history.gaps.length > 0 && (
            <p class="note">{t('history.gaps', { count: history.gaps.length })}</p>
          )}
          <Chart data={data} label={t('history.chart', { period: periodText })} />
          {history.totalWh === 0 && <p>{t('history.empty')}</p>}
          <table data-testid="history-table">
            <caption>
              {t('history.table')} — {periodText}
            </caption>
            <thead>
              <tr>
                <th scope="col">{t('history.col.start')}</th>
                <th scope="col" class="n">
                  {t('history.col.kwh')}
                </th>
                {before && (
                  <th scope="col" class="n">
                    {t('history.col.previous')}
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((b, i) => (
                <tr key={b.startsAt}>
                  <th scope="row">{f.bucket(b.startsAt, history.granularity)}</th>
                  <td class="n">{f.kwhNumber(b.kwh)}</td>
                  {before && (
                    <td class="n">
                      {before.buckets[page * ROWS + i]
                        ? f.kwhNumber(before.buckets[page * ROWS + i]?.kwh ?? '0')
                        : ''}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {pages > 1 && (
            <p class="pager">
              <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
                ‹ {page}
              </button>{' '}
              {page + 1} / {pages}{' '}
              <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                {page + 2} ›
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}

function periodLabel(
  h: ConsumptionHistory,
  period: Period,
  f: ReturnType<typeof formatters>,
): string {
  const first = h.buckets[0]?.start ?? h.from.slice(0, 10);
  if (period === 'day') return f.date(first);
  if (period === 'month') return f.monthOf(`${first.slice(0, 7)}-01`);
  return first.slice(0, 4);
}
