import { useState } from 'preact/hooks';
import { ApiError, getJson, type Page, postJson } from '../../api/index.js';
import { useApi } from '../../app/use-api.js';
import { useI18n } from '../../i18n/index.js';
import { driverFormat } from './format.js';
import { TripMap } from './trip-map.js';
import type { Car, Trip } from './types.js';

/** Feira de Santana → Salvador (BA): the seed network's own trip, a sensible first example. */
const DEFAULT = {
  origin: { lat: -12.2664, lon: -38.9663 },
  destination: { lat: -12.9714, lon: -38.5014 },
};

interface PlanBody {
  plate: string;
  origin: { lat: number; lon: number };
  destination: { lat: number; lon: number };
  socPct?: number;
  book?: boolean;
}

/**
 * Plan a trip with the driver's car (POST /trips/plan, from its last reported battery unless a
 * figure is given), see the stops as a list and a drawing of the coordinates, then book every
 * stop at once (the same request with `book: true`: all or nothing).
 */
export function DriverTripPage() {
  const { t, f, locale } = useI18n();
  const d = driverFormat(locale);
  const cars = useApi(() => getJson<Page<Car>>('/cars?limit=100'), []);
  const wanted = new URLSearchParams(location.search).get('plate');
  const [body, setBody] = useState<PlanBody | null>(null);
  const [trip, setTrip] = useState<Trip | null>(null);
  const [busy, setBusy] = useState<'' | 'plan' | 'book'>('');
  const [error, setError] = useState('');
  const [status, setStatus] = useState('');

  const explain = (e: unknown) => {
    if (e instanceof ApiError && e.status === 422)
      return t('dr.trip.impossible', { message: e.message });
    if (e instanceof ApiError && e.code === 'GL_EV_SLOT_TAKEN')
      return t('dr.trip.slotTaken', { message: e.message });
    return t('error.generic', { message: (e as Error).message });
  };

  const send = async (request: PlanBody, mode: 'plan' | 'book') => {
    setBusy(mode);
    setError('');
    setStatus(mode === 'plan' ? t('dr.trip.planning') : t('dr.trip.booking'));
    try {
      const planned = await postJson<Trip>('/trips/plan', request);
      setTrip(planned);
      setStatus(
        mode === 'book'
          ? planned.stops.length
            ? t('dr.trip.booked')
            : t('dr.trip.bookedNone')
          : t('dr.trip.result', {
              stops: planned.stops.length,
              total: d.duration(planned.totalMinutes),
              arrive: f.dateTime(planned.arriveAt),
            }),
      );
    } catch (e) {
      setStatus('');
      setError(explain(e));
    } finally {
      setBusy('');
    }
  };

  const plan = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const num = (name: string) => Number(String(form.get(name)).replace(',', '.'));
    const soc = String(form.get('socPct') ?? '').trim();
    const request: PlanBody = {
      plate: String(form.get('plate')),
      origin: { lat: num('originLat'), lon: num('originLon') },
      destination: { lat: num('destLat'), lon: num('destLon') },
      ...(soc === '' ? {} : { socPct: num('socPct') }),
    };
    setBody(request);
    setTrip(null);
    void send(request, 'plan');
  };

  const items = cars.data?.items ?? [];
  return (
    <section>
      <h1>{t('dr.trip.title')}</h1>
      {cars.error && <p role="alert">{t('error.generic', { message: cars.error.message })}</p>}
      {cars.data && items.length === 0 && <p>{t('dr.cars.none')}</p>}
      {items.length > 0 && (
        <form onSubmit={plan} class="card" data-testid="trip-form">
          <label for="trip-plate">{t('dr.trip.car')}</label>
          <select id="trip-plate" name="plate" required>
            {items.map((c) => (
              <option key={c.plate} value={c.plate} selected={c.plate === wanted}>
                {c.plate}
                {c.model ? ` (${c.model})` : ''}
              </option>
            ))}
          </select>
          <fieldset class="controls">
            <legend>{t('dr.trip.origin')}</legend>
            <Coordinate id="originLat" label={t('dr.trip.lat')} value={DEFAULT.origin.lat} />
            <Coordinate id="originLon" label={t('dr.trip.lon')} value={DEFAULT.origin.lon} />
          </fieldset>
          <fieldset class="controls">
            <legend>{t('dr.trip.destination')}</legend>
            <Coordinate id="destLat" label={t('dr.trip.lat')} value={DEFAULT.destination.lat} />
            <Coordinate id="destLon" label={t('dr.trip.lon')} value={DEFAULT.destination.lon} />
          </fieldset>
          <label for="socPct">{t('dr.trip.socPct')}</label>
          <input
            id="socPct"
            name="socPct"
            type="number"
            min={0}
            max={100}
            step={1}
            aria-describedby="socPct-help"
          />
          <p id="socPct-help" class="muted">
            {t('dr.trip.socHelp')}
          </p>
          <button type="submit" disabled={busy !== ''}>
            {t('dr.trip.submit')}
          </button>
        </form>
      )}
      <p role="status" aria-live="polite" data-testid="trip-status">
        {status}
      </p>
      <p role="alert" class="error" data-testid="trip-error">
        {error}
      </p>
      {trip && (
        <TripResult
          trip={trip}
          busy={busy !== ''}
          onBook={() => body && send({ ...body, book: true }, 'book')}
        />
      )}
    </section>
  );
}

function Coordinate(props: { id: string; label: string; value: number }) {
  return (
    <label for={props.id}>
      {props.label}{' '}
      <input
        id={props.id}
        name={props.id}
        type="text"
        inputMode="decimal"
        pattern="-?[0-9]+([.,][0-9]+)?"
        required
        defaultValue={String(props.value)}
        size={10}
      />
    </label>
  );
}

function TripResult(props: { trip: Trip; busy: boolean; onBook: () => void }) {
  const { t, f, locale } = useI18n();
  const d = driverFormat(locale);
  const { trip } = props;
  return (
    <section aria-labelledby="trip-summary" data-testid="trip-result" data-trip={trip.id}>
      <h2 id="trip-summary">{t('dr.trip.summary')}</h2>
      <dl class="facts">
        <dt>{t('dr.trip.startSoc')}</dt>
        <dd>
          {trip.start.source === 'car' && trip.start.reportedAt
            ? t('dr.trip.startSoc.car', {
                pct: d.pct(trip.start.socPct),
                at: f.dateTime(trip.start.reportedAt),
              })
            : d.pct(trip.start.socPct)}
        </dd>
        <dt>{t('dr.trip.distance')}</dt>
        <dd>{d.km(trip.distanceKm)}</dd>
        <dt>{t('dr.trip.drive')}</dt>
        <dd>{d.duration(trip.driveMinutes)}</dd>
        <dt>{t('dr.trip.wait')}</dt>
        <dd>{d.duration(trip.waitMinutes)}</dd>
        <dt>{t('dr.trip.charge')}</dt>
        <dd>{d.duration(trip.chargeMinutes)}</dd>
        <dt>{t('dr.trip.total')}</dt>
        <dd>{d.duration(trip.totalMinutes)}</dd>
        <dt>{t('dr.trip.arrival')}</dt>
        <dd>{f.dateTime(trip.arriveAt)}</dd>
        <dt>{t('dr.trip.arrivalSoc')}</dt>
        <dd>{d.pct(trip.arrivalSocPct)}</dd>
      </dl>
      <TripMap trip={trip} />
      {trip.stops.length === 0 ? (
        <p>{t('dr.trip.noStops')}</p>
      ) : (
        <table data-testid="trip-stops">
          <caption>{t('dr.trip.stops')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('dr.trip.col.seq')}</th>
              <th scope="col">{t('dr.trip.col.station')}</th>
              <th scope="col">{t('dr.trip.col.arrive')}</th>
              <th scope="col" class="n">
                {t('dr.trip.col.arrivalSoc')}
              </th>
              <th scope="col" class="n">
                {t('dr.trip.col.wait')}
              </th>
              <th scope="col" class="n">
                {t('dr.trip.col.charge')}
              </th>
              <th scope="col" class="n">
                {t('dr.trip.col.departSoc')}
              </th>
              <th scope="col">{t('dr.trip.col.booking')}</th>
            </tr>
          </thead>
          <tbody>
            {trip.stops.map((s) => (
              <tr key={s.seq} data-station={s.stationId}>
                <td>{s.seq}</td>
                <th scope="row">{s.stationName}</th>
                <td>{f.dateTime(s.arriveAt)}</td>
                <td class="n">{d.pct(s.arrivalSocPct)}</td>
                <td class="n">{d.duration(s.waitMinutes)}</td>
                <td class="n">
                  {d.duration(s.chargeMinutes)} ({d.kwh(s.energyKwh)})
                </td>
                <td class="n">{d.pct(s.departureSocPct)}</td>
                <td data-reservation={s.reservationId ?? undefined}>
                  {s.reservationId !== null ? (
                    <a href="/driver/reservations">
                      {t('dr.trip.reservation', { id: s.reservationId })}
                    </a>
                  ) : (
                    t('dr.trip.notBooked')
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!trip.booked && trip.stops.length > 0 && (
        <button type="button" onClick={props.onBook} disabled={props.busy}>
          {t('dr.trip.book')}
        </button>
      )}
    </section>
  );
}
