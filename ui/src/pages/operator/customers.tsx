import { useEffect, useState } from 'preact/hooks';
import { getJson, postJson } from '../../api/index.js';
import { useApi } from '../../app/use-api.js';
import { useI18n } from '../../i18n/index.js';
import { useMeasure } from './format.js';
import type { ListPage, Reading, StaffCustomer, StaffMeter } from './types.js';

const LIVE_MS = 15 * 60_000;
const POLL_MS = 15_000;

/**
 * Seed D's terminal, as pages: customers listed and created, one chosen: its meters, a meter
 * bound by (edge, device), this month's consumption and each meter's newest reading (polled).
 */
export function OperatorCustomersPage() {
  const { t } = useI18n();
  const [tick, setTick] = useState(0);
  const [chosen, setChosen] = useState<number | null>(null);
  const [outcome, setOutcome] = useState('');
  const customers = useApi(() => getJson<ListPage<StaffCustomer>>('/customers?limit=100'), [tick]);
  const create = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const limit = String(data.get('limit') ?? '').trim();
    const password = String(data.get('password') ?? '');
    try {
      const created = await postJson<StaffCustomer>('/customers', {
        document: String(data.get('document')).replace(/\D/g, ''),
        name: String(data.get('name')),
        ...(limit ? { monthlyLimitKwh: limit } : {}),
        ...(password ? { password } : {}),
      });
      form.reset();
      setOutcome(t('op.customers.created', { name: created.name, id: created.id }));
      setChosen(created.id);
      setTick((n) => n + 1);
    } catch (e) {
      setOutcome(t('error.generic', { message: (e as Error).message }));
    }
  };
  const id = chosen ?? customers.data?.items[0]?.id ?? null;
  return (
    <section>
      <h1>{t('op.customers.title')}</h1>
      <details>
        <summary>{t('op.customers.new')}</summary>
        <form onSubmit={create}>
          <label for="c-document">{t('signin.document')}</label>
          <input id="c-document" name="document" inputMode="numeric" required />
          <label for="c-name">{t('op.customers.name')}</label>
          <input id="c-name" name="name" required />
          <label for="c-limit">{t('op.customers.limit')}</label>
          <input id="c-limit" name="limit" inputMode="decimal" />
          <label for="c-password">{t('op.customers.password')}</label>
          <input id="c-password" name="password" type="password" autoComplete="new-password" />
          <button type="submit">{t('op.customers.create')}</button>
        </form>
      </details>
      <p role="status">{outcome}</p>
      {customers.error && (
        <p role="alert">{t('error.generic', { message: customers.error.message })}</p>
      )}
      {customers.data && customers.data.items.length > 0 && (
        <label>
          {t('op.customers.customer')}{' '}
          <select value={String(id)} onChange={(e) => setChosen(Number(e.currentTarget.value))}>
            {customers.data.items.map((c) => (
              <option key={c.id} value={String(c.id)}>
                {c.name} ({c.document})
              </option>
            ))}
          </select>
        </label>
      )}
      {id !== null && <CustomerView id={id} />}
    </section>
  );
}

function CustomerView({ id }: { id: number }) {
  const { t, f } = useI18n();
  const [tick, setTick] = useState(0);
  const [outcome, setOutcome] = useState('');
  const meters = useApi(
    () => getJson<ListPage<StaffMeter>>(`/customers/${id}/meters?limit=100`),
    [id, tick],
  );
  const month = useApi(
    () => getJson<{ totalKwh: string }>(`/customers/${id}/consumption?period=month`),
    [id, tick],
  );
  const bind = async (event: Event) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    try {
      await postJson(`/customers/${id}/meters`, {
        edgeId: String(data.get('edge')),
        deviceId: String(data.get('device')),
      });
      setOutcome(t('op.customers.bound'));
      setTick((n) => n + 1);
    } catch (e) {
      setOutcome(t('error.generic', { message: (e as Error).message }));
    }
  };
  return (
    <>
      <h2>{t('op.customers.month')}</h2>
      <p data-testid="op-month-kwh">
        {month.data ? f.kwhText(month.data.totalKwh) : month.error ? '—' : t('loading')}
      </p>
      <h2>{t('op.customers.meters')}</h2>
      {meters.data && meters.data.items.length === 0 && <p>{t('op.customers.noMeters')}</p>}
      {meters.data && meters.data.items.length > 0 && (
        <table data-testid="op-meters">
          <thead>
            <tr>
              <th scope="col">{t('op.customers.meter')}</th>
              <th scope="col">{t('op.customers.latest')}</th>
            </tr>
          </thead>
          <tbody>
            {meters.data.items.map((m) => (
              <tr key={m.id}>
                <th scope="row">
                  {m.edgeId} / {m.deviceId}
                </th>
                <td aria-live="polite">
                  <LatestReading meterId={m.id} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="controls" onSubmit={bind}>
        <label>
          {t('op.customers.edge')} <input name="edge" required />
        </label>
        <label>
          {t('op.edge.col.device')} <input name="device" required />
        </label>
        <button type="submit">{t('op.customers.bind')}</button>
      </form>
      <p role="status">{outcome}</p>
    </>
  );
}

/** The meter's newest reading of the last 15 minutes, polled. */
function LatestReading({ meterId }: { meterId: number }) {
  const { t, f } = useI18n();
  const measure = useMeasure();
  const [reading, setReading] = useState<Reading | null | undefined>(undefined);
  useEffect(() => {
    let stopped = false;
    const poll = () => {
      const now = Date.now();
      const from = new Date(now - LIVE_MS).toISOString();
      const to = new Date(now + 60_000).toISOString();
      getJson<ListPage<Reading>>(
        `/meters/${meterId}/readings?from=${from}&to=${to}&limit=1000`,
      ).then(
        (page) => !stopped && setReading(page.items.at(-1) ?? null),
        () => !stopped && setReading(null),
      );
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [meterId]);
  if (reading === undefined) return <>{t('loading')}</>;
  if (!reading) return <>{t('op.customers.noReading')}</>;
  return (
    <>
      {f.dateTime(reading.ts)}:{' '}
      {Object.entries(reading.values)
        .map(([k, v]) => `${k} ${measure(v)}`)
        .join(', ')}
    </>
  );
}
