import { getJson } from '../../api/index.js';
import { useApi } from '../../app/use-api.js';
import { useI18n } from '../../i18n/index.js';
import { useEnumText } from './format.js';
import type { ChargingPoint, ListPage, Reservation } from './types.js';

const WIDTH = 720;
const LABEL = 120;
const ROW = 28;
const DAY_MS = 86_400_000;
const LIVE = new Set(['PENDING', 'RESERVED', 'FULFILLED']);

/**
 * A day (the browser's) of reservations per point, `GET /reservations?from&to`, drawn as an SVG
 * (`role="img"`, each booking a rectangle with a title) with a table beside it holding the same
 * bookings for readers that do not see the picture.
 */
export function ReservationTimeline({ points, day }: { points: ChargingPoint[]; day: string }) {
  const { t, f } = useI18n();
  const say = useEnumText();
  const start = new Date(`${day}T00:00:00`).getTime();
  const end = start + DAY_MS;
  const ids = new Set(points.map((p) => p.id));
  const list = useApi(
    () =>
      getJson<ListPage<Reservation>>(
        `/reservations?limit=200&from=${new Date(start).toISOString()}&to=${new Date(end).toISOString()}`,
      ),
    [day, points.map((p) => p.id).join(',')],
  );
  if (list.error) return <p role="alert">{t('error.generic', { message: list.error.message })}</p>;
  if (!list.data) return <p>{t('loading')}</p>;
  const rows = list.data.items.filter((r) => ids.has(r.pointId));
  const x = (ms: number) =>
    LABEL + ((Math.min(Math.max(ms, start), end) - start) / DAY_MS) * (WIDTH - LABEL);
  const height = ROW * points.length + 24;
  return (
    <>
      <svg
        class="timeline"
        role="img"
        aria-label={t('op.timeline.label', { day: f.date(day), count: rows.length })}
        viewBox={`0 0 ${WIDTH + 20} ${height}`}
        width={WIDTH + 20}
        height={height}
        data-testid="op-timeline"
      >
        {[0, 3, 6, 9, 12, 15, 18, 21, 24].map((h) => (
          <g key={h}>
            <line
              x1={x(start + h * 3600_000)}
              x2={x(start + h * 3600_000)}
              y1={0}
              y2={height - 20}
              stroke="#8a8f98"
              stroke-width={0.5}
            />
            <text
              x={x(start + h * 3600_000)}
              y={height - 6}
              font-size={11}
              text-anchor="middle"
              fill="#333"
            >
              {`${String(h).padStart(2, '0')}h`}
            </text>
          </g>
        ))}
        {points.map((p, i) => (
          <g key={p.id}>
            <text x={4} y={i * ROW + 18} font-size={12} fill="#222">
              {p.name}
            </text>
            {rows
              .filter((r) => r.pointId === p.id)
              .map((r) => {
                const a = x(Date.parse(r.start));
                const b = x(Date.parse(r.end));
                return (
                  <rect
                    key={r.id}
                    data-reservation={r.id}
                    x={a}
                    y={i * ROW + 4}
                    width={Math.max(b - a, 2)}
                    height={ROW - 8}
                    rx={3}
                    fill={LIVE.has(r.state) ? '#1f6feb' : '#9aa0a6'}
                  >
                    <title>{`${r.plate ?? '—'} ${f.time(r.start)}–${f.time(r.end)} ${say('resState', r.state)}`}</title>
                  </rect>
                );
              })}
          </g>
        ))}
      </svg>
      {rows.length === 0 ? (
        <p>{t('op.timeline.none')}</p>
      ) : (
        <table data-testid="op-reservations">
          <caption>{t('op.timeline.table')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('op.stations.col.point')}</th>
              <th scope="col">{t('op.timeline.col.plate')}</th>
              <th scope="col">{t('op.timeline.col.slot')}</th>
              <th scope="col">{t('op.stations.col.state')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                <th scope="row">{points.find((p) => p.id === r.pointId)?.name}</th>
                <td>{r.plate ?? '—'}</td>
                <td>{`${f.time(r.start)}–${f.time(r.end)}`}</td>
                <td>{say('resState', r.state)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
