import { useI18n } from '../../i18n/index.js';
import type { Position, Trip } from './types.js';

const W = 640;
const H = 360;
const PAD = 36;

/**
 * The trip drawn from its coordinates (no tiles, no map server): an equirectangular projection
 * scaled by the cosine of the middle latitude, origin, numbered stops and destination on a line.
 * `role="img"` with a label; the stops table beside it has every number.
 */
export function TripMap(props: { trip: Trip }) {
  const { t } = useI18n();
  const { trip } = props;
  const places: Position[] = [trip.origin, ...trip.stops.map((s) => s.position), trip.destination];
  const midLat =
    (Math.min(...places.map((p) => p.lat)) + Math.max(...places.map((p) => p.lat))) / 2;
  const kx = Math.cos((midLat * Math.PI) / 180);
  const xs = places.map((p) => p.lon * kx);
  const ys = places.map((p) => -p.lat);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  const scale = Math.min((W - 2 * PAD) / (x1 - x0 || 1e-9), (H - 2 * PAD) / (y1 - y0 || 1e-9));
  const ox = (W - (x1 - x0) * scale) / 2;
  const oy = (H - (y1 - y0) * scale) / 2;
  const at = (i: number) => ({
    x: Math.round((ox + ((xs[i] as number) - x0) * scale) * 10) / 10,
    y: Math.round((oy + ((ys[i] as number) - y0) * scale) * 10) / 10,
  });
  const pts = places.map((_, i) => at(i));
  const last = pts.length - 1;
  return (
    <svg
      class="trip-map"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={t('dr.trip.map', { stops: trip.stops.length })}
      data-testid="trip-map"
    >
      <rect x="0" y="0" width={W} height={H} fill="#f3f5f8" stroke="#d5dae0" />
      <polyline
        points={pts.map((p) => `${p.x},${p.y}`).join(' ')}
        fill="none"
        stroke="#1d5fa8"
        stroke-width="3"
        stroke-linejoin="round"
      />
      <circle cx={pts[0]?.x} cy={pts[0]?.y} r="8" fill="#1b1f24" />
      <text x={(pts[0]?.x ?? 0) + 12} y={(pts[0]?.y ?? 0) - 8} font-size="14" fill="#1b1f24">
        {t('dr.trip.mapOrigin')}
      </text>
      {trip.stops.map((s, i) => {
        const p = pts[i + 1] as { x: number; y: number };
        return (
          <g key={s.seq} data-stop={s.seq}>
            <circle cx={p.x} cy={p.y} r="11" fill="#a34f00" />
            <text
              x={p.x}
              y={p.y + 5}
              text-anchor="middle"
              font-size="13"
              font-weight="700"
              fill="#ffffff"
            >
              {s.seq}
            </text>
          </g>
        );
      })}
      <rect
        x={(pts[last]?.x ?? 0) - 8}
        y={(pts[last]?.y ?? 0) - 8}
        width="16"
        height="16"
        fill="#0b4f8a"
      />
      <text x={(pts[last]?.x ?? 0) + 12} y={(pts[last]?.y ?? 0) + 20} font-size="14" fill="#1b1f24">
        {t('dr.trip.mapDestination')}
      </text>
    </svg>
  );
}
