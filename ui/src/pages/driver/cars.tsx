import { getJson, type Page } from '../../api/index.js';
import { useI18n } from '../../i18n/index.js';
import { driverFormat } from './format.js';
import type { Car } from './types.js';
import { usePoll } from './use-poll.js';

const POLL_MS = 5_000;

/** The driver's cars with their last reported battery (GET /cars, polled: the car reports over MQTT). */
export function DriverCarsPage() {
  const { t, f, locale } = useI18n();
  const d = driverFormat(locale);
  const cars = usePoll(() => getJson<Page<Car>>('/cars?limit=100'), POLL_MS);
  const items = cars.data?.items;
  return (
    <section>
      <h1>{t('dr.cars.title')}</h1>
      {cars.error && <p role="alert">{t('error.generic', { message: cars.error.message })}</p>}
      {!items && !cars.error && <p>{t('loading')}</p>}
      {items && items.length === 0 && <p>{t('dr.cars.none')}</p>}
      {/* One live region: a new battery report is read out without moving the focus. */}
      <div role="status" aria-live="polite" data-testid="cars-live" class="stack">
        {items?.map((car) => (
          <article key={car.plate} class="card" data-plate={car.plate}>
            <h2>{car.plate}</h2>
            <dl class="facts">
              <dt>{t('dr.cars.model')}</dt>
              <dd>{car.model ?? t('dr.cars.unknownModel')}</dd>
              {car.batteryKwh !== null && (
                <>
                  <dt>{t('dr.cars.capacity')}</dt>
                  <dd>{d.kwh(car.batteryKwh)}</dd>
                </>
              )}
              <dt>{t('dr.cars.battery')}</dt>
              <dd data-testid={`battery-${car.plate}`}>
                {car.last ? (
                  <>
                    <meter
                      min={0}
                      max={100}
                      low={20}
                      high={80}
                      optimum={100}
                      value={car.last.batteryPct}
                      aria-label={t('dr.cars.batteryOf', {
                        plate: car.plate,
                        pct: d.pct(car.last.batteryPct),
                      })}
                    />{' '}
                    <strong>{d.pct(car.last.batteryPct)}</strong>,{' '}
                    {car.last.charging ? t('dr.cars.charging') : t('dr.cars.notCharging')}{' '}
                    <span class="muted">
                      ({t('dr.cars.reportedAt', { at: f.dateTime(car.last.at) })})
                    </span>
                  </>
                ) : (
                  t('dr.cars.noReport')
                )}
              </dd>
            </dl>
            <p>
              <a href={`/driver/trip?plate=${encodeURIComponent(car.plate)}`}>
                {t('dr.cars.plan')}
              </a>
            </p>
          </article>
        ))}
      </div>
    </section>
  );
}
