import { useEffect, useState } from 'preact/hooks';
import { getJson, putJson } from '../../api/index.js';
import { useApi } from '../../app/use-api.js';
import { useI18n } from '../../i18n/index.js';
import { useEnumText } from './format.js';
import { ReservationTimeline } from './timeline.js';
import type { ChargingPoint, ListPage, Station, StationDetail } from './types.js';
import { useTick } from './use-tick.js';

/** Point states are asked again this often. */
const POLL_MS = 15_000;

/** `YYYY-MM-DD` of the browser's today. */
function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * Stations (`GET /stations`), one chosen: its points with their live state, connectors and
 * maintenance (set or cleared with `PUT /points/{id}/maintenance`, who and when shown), and the
 * day's reservations of its points on a timeline.
 */
export function OperatorStationsPage() {
  const { t } = useI18n();
  const stations = useApi(() => getJson<ListPage<Station>>('/stations?limit=100'), []);
  const [stationId, setStationId] = useState<number | null>(null);
  const [day, setDay] = useState(today);
  const chosen = stationId ?? stations.data?.items[0]?.id ?? null;
  return (
    <section>
      <h1>{t('op.stations.title')}</h1>
      {stations.error && (
        <p role="alert">{t('error.generic', { message: stations.error.message })}</p>
      )}
      {stations.data && stations.data.items.length === 0 && <p>{t('op.stations.none')}</p>}
      {stations.data && stations.data.items.length > 0 && (
        <div class="controls">
          <label>
            {t('op.stations.station')}{' '}
            <select
              value={String(chosen)}
              onChange={(e) => setStationId(Number(e.currentTarget.value))}
            >
              {stations.data.items.map((s) => (
                <option key={s.id} value={String(s.id)}>
                  {s.name} ({s.companyId})
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('op.stations.day')}{' '}
            <input
              type="date"
              value={day}
              onChange={(e) => setDay(e.currentTarget.value || today())}
            />
          </label>
        </div>
      )}
      {chosen !== null && <StationView id={chosen} day={day} />}
    </section>
  );
}

function StationView({ id, day }: { id: number; day: string }) {
  const { t } = useI18n();
  const [tick, setTick] = useState(0);
  const live = useTick(POLL_MS);
  const station = useApi(() => getJson<StationDetail>(`/stations/${id}`), [id, tick, live]);
  if (station.error)
    return <p role="alert">{t('error.generic', { message: station.error.message })}</p>;
  if (!station.data) return <p>{t('loading')}</p>;
  const s = station.data;
  return (
    <>
      <h2>{s.name}</h2>
      <p class="muted">
        {t('op.stations.summary', { available: s.availablePoints, points: s.points })}
      </p>
      <table data-testid="op-points">
        <caption class="visually-hidden">{t('op.stations.points')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('op.stations.col.point')}</th>
            <th scope="col">{t('op.stations.col.state')}</th>
            <th scope="col">{t('op.stations.col.connectors')}</th>
            <th scope="col">{t('op.stations.col.maintenance')}</th>
            <th scope="col">{t('op.stations.col.action')}</th>
          </tr>
        </thead>
        <tbody>
          {s.pointList.map((p) => (
            <PointRow key={p.id} point={p} onChanged={() => setTick((n) => n + 1)} />
          ))}
        </tbody>
      </table>
      <h2>{t('op.timeline.title')}</h2>
      <ReservationTimeline points={s.pointList} day={day} />
    </>
  );
}

function PointRow({ point, onChanged }: { point: ChargingPoint; onChanged: () => void }) {
  const { t, f } = useI18n();
  const say = useEnumText();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [reason, setReason] = useState('');
  useEffect(() => setError(''), [point.maintenance.on]);
  const m = point.maintenance;
  const toggle = async () => {
    setBusy(true);
    try {
      await putJson(`/points/${point.id}/maintenance`, {
        on: !m.on,
        ...(m.on || !reason ? {} : { reason }),
      });
      setReason('');
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-point={point.id}>
      <th scope="row">{point.name}</th>
      <td data-testid="point-state">
        {point.available ? t('op.point.available') : t('op.point.unavailable')} ·{' '}
        {say('pointState', point.state)}
        {point.stateAt && <span class="muted"> ({f.dateTime(point.stateAt)})</span>}
      </td>
      <td>
        {point.connectors
          .map((c) => `${c.connectorNo}: ${c.standard} ${f.kw(c.maxPowerW / 1000)}`)
          .join(', ')}
      </td>
      <td data-testid="point-maintenance">
        {m.on
          ? t('op.point.maintenanceOn', {
              who: m.by ?? '?',
              at: m.at ? f.dateTime(m.at) : '?',
              reason: m.reason ?? '—',
            })
          : t('op.point.maintenanceOff')}
      </td>
      <td>
        {!m.on && (
          <label>
            <span class="visually-hidden">{t('op.point.reason', { point: point.name })}</span>
            <input
              value={reason}
              placeholder={t('op.point.reasonPlaceholder')}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </label>
        )}{' '}
        <button type="button" disabled={busy} onClick={toggle}>
          {m.on
            ? t('op.point.maintenanceEnd', { point: point.name })
            : t('op.point.maintenanceStart', { point: point.name })}
        </button>
        {error && <span role="alert"> {error}</span>}
      </td>
    </tr>
  );
}
