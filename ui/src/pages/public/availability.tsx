import { useState } from 'preact/hooks';
import { ApiError, getJson } from '../../api/index.js';
import { navigate } from '../../app/router.js';
import { type MessageKey, useI18n } from '../../i18n/index.js';
import { usePoll } from '../driver/use-poll.js';

const POLL_MS = 15_000;

type Status = 'available' | 'occupied' | 'unavailable' | 'unknown';

interface PublicPage {
  company: { id: string; name: string };
  items: Array<{
    id: number;
    name: string;
    address: string | null;
    points: number;
    availablePoints: number;
    pointList: Array<{
      id: number;
      name: string;
      status: Status;
      connectors: Array<{ standard: string; powerType: string; maxPowerW: number }>;
    }>;
  }>;
  next: string | null;
}

/**
 * A company's stations and which points are free now, for anyone (no sign-in):
 * GET /public/companies/{id}/availability, polled. `/public/availability?company=feira`.
 */
export function PublicAvailabilityPage() {
  const { t, f, locale } = useI18n();
  const company = new URLSearchParams(location.search).get('company') ?? '';
  const [pages, setPages] = useState<PublicPage[]>([]);
  const first = usePoll(
    () =>
      company
        ? getJson<PublicPage>(
            `/public/companies/${encodeURIComponent(company)}/availability?limit=100`,
            null,
          )
        : Promise.resolve(null),
    POLL_MS,
    [company],
  );
  const kw = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  const data = first.data;
  const stations = data ? [...data.items, ...pages.flatMap((p) => p.items)] : [];
  const next = pages.length ? (pages.at(-1)?.next ?? null) : (data?.next ?? null);
  const points = stations.reduce((n, s) => n + s.points, 0);
  const available = stations.reduce((n, s) => n + s.availablePoints, 0);
  const notFound = first.error instanceof ApiError && first.error.status === 404;
  const more = async () => {
    if (!next) return;
    const page = await getJson<PublicPage>(
      `/public/companies/${encodeURIComponent(company)}/availability?limit=100&cursor=${next}`,
      null,
    );
    setPages((p) => [...p, page]);
  };
  return (
    <section>
      <h1>{data ? t('pub.titleOf', { company: data.company.name }) : t('pub.title')}</h1>
      <p class="muted">{t('pub.noSignIn')}</p>
      <form
        class="controls"
        onSubmit={(e) => {
          e.preventDefault();
          const id = String(new FormData(e.currentTarget).get('company')).trim().toLowerCase();
          setPages([]);
          navigate(`/public/availability?company=${encodeURIComponent(id)}`);
        }}
      >
        <label for="pub-company">{t('pub.company')}</label>
        <input id="pub-company" name="company" defaultValue={company} required size={16} />
        <button type="submit">{t('pub.show')}</button>
      </form>
      <p role="alert" class="error">
        {notFound
          ? t('pub.unknownCompany')
          : first.error
            ? t('error.generic', { message: first.error.message })
            : ''}
      </p>
      {data && (
        <p role="status" aria-live="polite" data-testid="pub-summary">
          {t('pub.summary', { available, points, stations: stations.length })}{' '}
          {first.at && (
            <span class="muted">
              ({t('pub.updated', { time: f.time(new Date(first.at).toISOString()) })})
            </span>
          )}
        </p>
      )}
      {data && stations.length === 0 && <p>{t('pub.none')}</p>}
      <div class="stack">
        {stations.map((s) => (
          <article key={s.id} class="card" data-station={s.id} aria-labelledby={`station-${s.id}`}>
            <h2 id={`station-${s.id}`}>{s.name}</h2>
            {s.address && <p class="muted">{s.address}</p>}
            <p>
              <strong>
                {t('pub.station.free', { available: s.availablePoints, points: s.points })}
              </strong>
            </p>
            <table>
              <caption class="visually-hidden">{s.name}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('pub.col.point')}</th>
                  <th scope="col">{t('pub.col.status')}</th>
                  <th scope="col">{t('pub.col.connectors')}</th>
                </tr>
              </thead>
              <tbody>
                {s.pointList.map((p) => (
                  <tr key={p.id} data-point={p.id} data-status={p.status}>
                    <th scope="row">{p.name}</th>
                    <td>{t(`pub.status.${p.status}` as MessageKey)}</td>
                    <td>
                      {p.connectors
                        .map(
                          (c) =>
                            `${c.standard.toUpperCase()} ${c.powerType.toUpperCase()} ${kw.format(c.maxPowerW / 1000)} kW`,
                        )
                        .join(', ')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        ))}
      </div>
      {next && (
        <button type="button" onClick={more}>
          {t('pub.more')}
        </button>
      )}
    </section>
  );
}
