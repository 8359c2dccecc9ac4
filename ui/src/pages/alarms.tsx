import { useEffect, useState } from 'preact/hooks';
import { type Alarm, getJson, type Page } from '../api/index.js';
import { useI18n } from '../i18n/index.js';

const POLL_MS = 15_000;

/** The customer's alarms, polled; the count of active ones is announced (a live region). */
export function AlarmsPage() {
  const { t, f } = useI18n();
  const [alarms, setAlarms] = useState<Alarm[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let stopped = false;
    const poll = () =>
      getJson<Page<Alarm>>('/alarms?limit=100').then(
        (page) => {
          if (stopped) return;
          setAlarms(page.items);
          setError('');
        },
        (e: Error) => !stopped && setError(e.message),
      );
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  const active = alarms?.filter((a) => a.state !== 'cleared').length ?? 0;
  return (
    <section>
      <h1>{t('alarms.title')}</h1>
      <p role="status" aria-live="polite" data-testid="alarms-live">
        {alarms ? t('alarms.live', { count: active }) : t('loading')}
      </p>
      {error && <p role="alert">{t('error.generic', { message: error })}</p>}
      {alarms && alarms.length === 0 && <p>{t('alarms.none')}</p>}
      {alarms && alarms.length > 0 && (
        <table data-testid="alarms-table">
          <caption class="visually-hidden">{t('alarms.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('alarms.col.type')}</th>
              <th scope="col">{t('alarms.col.severity')}</th>
              <th scope="col">{t('alarms.col.state')}</th>
              <th scope="col">{t('alarms.col.raised')}</th>
              <th scope="col">{t('alarms.col.acked')}</th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((a) => (
              <tr key={a.id}>
                <th scope="row">{a.type}</th>
                <td>{a.severity}</td>
                <td>{a.state}</td>
                <td>{f.dateTime(a.raisedAt)}</td>
                <td>{a.ackedAt ? `${f.dateTime(a.ackedAt)} (${a.ackedBy ?? ''})` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
