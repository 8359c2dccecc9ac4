import { useEffect, useState } from 'preact/hooks';
import { getJson, postJson } from '../../api/index.js';
import { type MessageKey, useI18n } from '../../i18n/index.js';
import { useEnumText } from './format.js';
import type { AlarmState, ListPage, StaffAlarm } from './types.js';

const POLL_MS = 5_000;

/** The filters: the states each shows (`GET /alarms?state=…`). */
const FILTERS: Record<string, { label: MessageKey; query: string }> = {
  'active-unack': { label: 'op.alarms.filter.activeUnack', query: 'state=ACTIVE_UNACK' },
  active: { label: 'op.alarms.filter.active', query: 'active=true' },
  'cleared-unack': { label: 'op.alarms.filter.clearedUnack', query: 'state=CLEARED_UNACK' },
  all: { label: 'op.alarms.filter.all', query: '' },
};

const STATE_TEXT: Record<AlarmState, MessageKey> = {
  ACTIVE_UNACK: 'op.alarms.state.ACTIVE_UNACK',
  ACTIVE_ACK: 'op.alarms.state.ACTIVE_ACK',
  CLEARED_UNACK: 'op.alarms.state.CLEARED_UNACK',
  CLEARED_ACK: 'op.alarms.state.CLEARED_ACK',
};

/**
 * Every alarm (staff see all), filtered by state ("active and unacknowledged" first), polled;
 * rows are selected and acknowledged or cleared together, each row saying who did it and when.
 * The count of active unacknowledged alarms is a live region.
 */
export function OperatorAlarmsPage() {
  const { t, f } = useI18n();
  const say = useEnumText();
  const [filter, setFilter] = useState('active-unack');
  const [alarms, setAlarms] = useState<StaffAlarm[] | null>(null);
  const [unacked, setUnacked] = useState<number | null>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [outcome, setOutcome] = useState('');
  const [error, setError] = useState('');
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stopped = false;
    const query = FILTERS[filter]?.query ?? '';
    const poll = () =>
      Promise.all([
        getJson<ListPage<StaffAlarm>>(`/alarms?limit=200${query ? `&${query}` : ''}`),
        getJson<ListPage<StaffAlarm>>('/alarms?limit=200&state=ACTIVE_UNACK'),
      ]).then(
        ([page, open]) => {
          if (stopped) return;
          setAlarms(page.items);
          setUnacked(open.items.length);
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
  }, [filter, tick]);

  const act = async (event: 'ack' | 'clear') => {
    const ids = [...selected];
    let done = 0;
    const failed: string[] = [];
    for (const id of ids) {
      try {
        await postJson(`/alarms/${id}/${event}`, undefined);
        done++;
      } catch (e) {
        failed.push(`#${id}: ${(e as Error).message}`);
      }
    }
    setSelected(new Set());
    setOutcome(
      [
        t(event === 'ack' ? 'op.alarms.acked' : 'op.alarms.cleared', { count: done }),
        ...failed,
      ].join(' '),
    );
    setTick((n) => n + 1);
  };
  const toggle = (id: number, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  const allSelected = !!alarms?.length && alarms.every((a) => selected.has(a.id));
  return (
    <section>
      <h1>{t('op.alarms.title')}</h1>
      <p role="status" aria-live="polite" data-testid="op-alarms-live">
        {unacked === null ? t('loading') : t('op.alarms.live', { count: unacked })}
      </p>
      {error && <p role="alert">{t('error.generic', { message: error })}</p>}
      <div class="controls">
        <label>
          {t('op.alarms.filter')}{' '}
          <select
            value={filter}
            onChange={(e) => {
              setFilter(e.currentTarget.value);
              setSelected(new Set());
            }}
          >
            {Object.entries(FILTERS).map(([key, v]) => (
              <option key={key} value={key}>
                {t(v.label)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={selected.size === 0} onClick={() => act('ack')}>
          {t('op.alarms.ack', { count: selected.size })}
        </button>
        <button type="button" disabled={selected.size === 0} onClick={() => act('clear')}>
          {t('op.alarms.clear', { count: selected.size })}
        </button>
      </div>
      <p role="status" data-testid="op-alarms-outcome">
        {outcome}
      </p>
      {alarms && alarms.length === 0 && <p>{t('alarms.none')}</p>}
      {alarms && alarms.length > 0 && (
        <table data-testid="op-alarms-table">
          <caption class="visually-hidden">{t('op.alarms.title')}</caption>
          <thead>
            <tr>
              <th scope="col">
                <input
                  type="checkbox"
                  aria-label={t('op.alarms.selectAll')}
                  checked={allSelected}
                  onChange={(e) =>
                    setSelected(
                      e.currentTarget.checked ? new Set(alarms.map((a) => a.id)) : new Set(),
                    )
                  }
                />
              </th>
              <th scope="col">{t('alarms.col.type')}</th>
              <th scope="col">{t('op.alarms.col.source')}</th>
              <th scope="col">{t('alarms.col.severity')}</th>
              <th scope="col">{t('alarms.col.state')}</th>
              <th scope="col">{t('alarms.col.raised')}</th>
              <th scope="col">{t('alarms.col.acked')}</th>
              <th scope="col">{t('op.alarms.col.cleared')}</th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((a) => (
              <tr key={a.id} data-alarm={a.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={t('op.alarms.select', { type: a.type, source: a.source })}
                    checked={selected.has(a.id)}
                    onChange={(e) => toggle(a.id, e.currentTarget.checked)}
                  />
                </td>
                <th scope="row">{a.type}</th>
                <td>{a.source}</td>
                <td>{say('severity', a.severity)}</td>
                <td>{t(STATE_TEXT[a.state])}</td>
                <td>{f.dateTime(a.raisedAt)}</td>
                <td data-testid="acked">
                  {a.ackedAt
                    ? t('op.alarms.byAt', { who: a.ackedBy ?? '?', at: f.dateTime(a.ackedAt) })
                    : '—'}
                </td>
                <td>
                  {a.clearedAt
                    ? t('op.alarms.byAt', { who: a.clearedBy ?? '?', at: f.dateTime(a.clearedAt) })
                    : '—'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
