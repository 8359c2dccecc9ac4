import { useEffect, useRef, useState } from 'preact/hooks';
import { getJson, type Page, postJson } from '../../api/index.js';
import { type MessageKey, useI18n } from '../../i18n/index.js';
import { driverFormat } from './format.js';
import {
  DRIVER_CANCEL_REASONS,
  LIVE_STATES,
  type Reservation,
  type ReservationState,
} from './types.js';
import { usePoll } from './use-poll.js';

const POLL_MS = 5_000;

const stateKey = (s: ReservationState) => `dr.res.state.${s}` as MessageKey;

/**
 * The driver's reservations (GET /reservations, polled): each status change is announced in a
 * live region; a live booking can be canceled with a reason (POST /reservations/{id}/cancel).
 */
export function DriverReservationsPage() {
  const { t, f, locale } = useI18n();
  const d = driverFormat(locale);
  const list = usePoll(() => getJson<Page<Reservation>>('/reservations?limit=100'), POLL_MS);
  const items = list.data?.items;
  const seen = useRef(new Map<number, ReservationState>());
  const [announce, setAnnounce] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    if (!items) return;
    const changed = items.filter((r) => {
      const before = seen.current.get(r.id);
      return before !== undefined && before !== r.state;
    });
    if (changed.length)
      setAnnounce(
        changed
          .map((r) => t('dr.res.changed', { id: r.id, state: t(stateKey(r.state)) }))
          .join('. '),
      );
    seen.current = new Map(items.map((r) => [r.id, r.state]));
  }, [items]);

  const cancel = async (id: number, reason: string) => {
    setError('');
    try {
      await postJson(`/reservations/${id}/cancel`, { reason });
      setAnnounce(t('dr.res.canceled', { id }));
      seen.current.set(id, 'CANCELED');
      list.reload();
    } catch (e) {
      setError(t('error.generic', { message: (e as Error).message }));
    }
  };

  const live = items?.filter((r) => LIVE_STATES.includes(r.state)).length ?? 0;
  return (
    <section>
      <h1>{t('dr.res.title')}</h1>
      <p role="status" aria-live="polite" data-testid="reservations-live">
        {items ? t('dr.res.live', { count: live }) : t('loading')}
        {announce && (
          <>
            {' '}
            <span data-testid="reservations-announce">{announce}</span>
          </>
        )}
      </p>
      <p role="alert" class="error">
        {error || (list.error ? t('error.generic', { message: list.error.message }) : '')}
      </p>
      {items && items.length === 0 && <p>{t('dr.res.none')}</p>}
      {items && items.length > 0 && (
        <table data-testid="reservations-table">
          <caption class="visually-hidden">{t('dr.res.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('dr.res.col.id')}</th>
              <th scope="col">{t('dr.res.col.point')}</th>
              <th scope="col">{t('dr.res.col.plate')}</th>
              <th scope="col">{t('dr.res.col.period')}</th>
              <th scope="col">{t('dr.res.col.state')}</th>
              <th scope="col">{t('dr.res.col.action')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={r.id} data-reservation={r.id} data-state={r.state}>
                <th scope="row">{r.id}</th>
                <td>{r.pointId}</td>
                <td>{r.plate ?? '—'}</td>
                <td>
                  {f.dateTime(r.start)} – {f.time(r.end)}
                </td>
                <td>
                  {t(stateKey(r.state))}
                  {r.canceled && ` (${r.canceled.reason})`}
                  {r.flagged && (
                    <span class="muted"> {t('dr.res.flagged', { reason: r.flagged.reason })}</span>
                  )}
                  {r.fee && <span class="muted"> {t('dr.res.fee', { fee: d.reais(r.fee) })}</span>}
                </td>
                <td>
                  {LIVE_STATES.includes(r.state) && r.state !== 'FULFILLED' && (
                    <CancelForm id={r.id} onCancel={cancel} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CancelForm(props: { id: number; onCancel: (id: number, reason: string) => void }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="controls"
      onSubmit={async (event) => {
        event.preventDefault();
        const reason = String(new FormData(event.currentTarget).get('reason'));
        setBusy(true);
        await props.onCancel(props.id, reason);
        setBusy(false);
      }}
    >
      <label class="visually-hidden" for={`reason-${props.id}`}>
        {t('dr.res.reason', { id: props.id })}
      </label>
      <select id={`reason-${props.id}`} name="reason">
        {DRIVER_CANCEL_REASONS.map((reason) => (
          <option key={reason} value={reason}>
            {t(`dr.res.reason.${reason}` as MessageKey)}
          </option>
        ))}
      </select>
      <button type="submit" disabled={busy} aria-label={t('dr.res.cancel', { id: props.id })}>
        {t('dr.res.cancelShort')}
      </button>
    </form>
  );
}
