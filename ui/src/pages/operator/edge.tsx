import { useEffect, useState } from 'preact/hooks';
import { getJson, postJson, putJson } from '../../api/index.js';
import { useLocation } from '../../app/router.js';
import { useApi } from '../../app/use-api.js';
import { useI18n } from '../../i18n/index.js';
import { useCount, useEnumText } from './format.js';
import type { Device, DeviceCommand, Edge, EdgeConfig, ListPage, PendingDevice } from './types.js';

/** While a command or the config waits for the edge's answer, the page asks again this often. */
const SETTLE_POLL_MS = 2_000;

/** Bumps a counter every SETTLE_POLL_MS while `waiting`: the loads that depend on it run again. */
function useRefreshWhile(waiting: boolean, refresh: () => void) {
  useEffect(() => {
    if (!waiting) return;
    const timer = setInterval(refresh, SETTLE_POLL_MS);
    return () => clearInterval(timer);
  }, [waiting]);
}

/**
 * One edge (`?id=`): its devices with their health counters, the push meters it holds as
 * pending (bound here to a customer), device commands (sent and listed) and its desired config
 * against what it applied (set here as a new version).
 */
export function OperatorEdgePage() {
  const { t } = useI18n();
  const id = useLocation().searchParams.get('id') ?? '';
  if (!id) return <p>{t('op.edge.none')}</p>;
  return (
    <section>
      <h1>{t('op.edge.title', { id })}</h1>
      <Devices id={id} />
      <Pending id={id} />
      <Commands id={id} />
      <Config id={id} />
    </section>
  );
}

function Devices({ id }: { id: string }) {
  const { t, f } = useI18n();
  const say = useEnumText();
  const count = useCount();
  const e = encodeURIComponent(id);
  const devices = useApi(() => getJson<{ items: Device[] }>(`/edges/${e}/devices`), [id]);
  const edges = useApi(() => getJson<{ items: Edge[] }>('/edges'), [id]);
  const health = edges.data?.items.find((x) => x.id === id)?.status?.devices ?? [];
  if (devices.error) return <p role="alert">{devices.error.message}</p>;
  return (
    <>
      <h2>{t('op.edge.devices')}</h2>
      {devices.data && (
        <table data-testid="op-devices">
          <thead>
            <tr>
              <th scope="col">{t('op.edge.col.device')}</th>
              <th scope="col">{t('op.edge.col.kind')}</th>
              <th scope="col">{t('op.edges.col.online')}</th>
              <th scope="col">{t('op.edge.col.lastOk')}</th>
              <th scope="col">{t('op.edge.col.failures')}</th>
              <th scope="col">{t('op.edge.col.lastError')}</th>
            </tr>
          </thead>
          <tbody>
            {devices.data.items.map((d) => {
              const h = health.find((x) => x.deviceId === d.deviceId);
              return (
                <tr key={d.deviceId}>
                  <th scope="row">{d.deviceId}</th>
                  <td>{say('kind', d.kind)}</td>
                  <td>{d.online === null ? '—' : d.online ? t('op.yes') : t('op.no')}</td>
                  <td>{d.lastOkAt ? f.dateTime(d.lastOkAt) : '—'}</td>
                  <td class="n">{h ? `${count(h.failures)} / ${count(h.polls)}` : '—'}</td>
                  <td>{h?.lastError ?? '—'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

function Pending({ id }: { id: string }) {
  const { t, f } = useI18n();
  const e = encodeURIComponent(id);
  const [tick, setTick] = useState(0);
  const [outcome, setOutcome] = useState('');
  const pending = useApi(
    () => getJson<{ items: PendingDevice[] }>(`/edges/${e}/pending-devices`),
    [id, tick],
  );
  const bind = async (event: Event, key: string) => {
    event.preventDefault();
    const customer = String(new FormData(event.currentTarget as HTMLFormElement).get('customer'));
    try {
      await postJson(`/edges/${e}/pending-devices/${encodeURIComponent(key)}/bind`, {
        customerId: Number(customer),
      });
      setOutcome(t('op.edge.bound', { key }));
      setTick((n) => n + 1);
    } catch (err) {
      setOutcome(t('error.generic', { message: (err as Error).message }));
    }
  };
  return (
    <>
      <h2>{t('op.edge.pending')}</h2>
      <p role="status" data-testid="op-pending-outcome">
        {outcome}
      </p>
      {pending.data?.items.length === 0 && <p>{t('op.edge.pendingNone')}</p>}
      {pending.data && pending.data.items.length > 0 && (
        <ul class="plain">
          {pending.data.items.map((p) => (
            <li key={p.key}>
              <form class="controls" onSubmit={(ev) => bind(ev, p.key)}>
                <span>
                  {p.meterId} ({p.driver}
                  {p.cpf ? `, CPF ${p.cpf}` : ''}) · {f.dateTime(p.lastSeenAt)}
                  {p.boundAs ? ` → ${p.boundAs}` : ''}
                </span>
                <label>
                  {t('op.edge.customerId')}{' '}
                  <input name="customer" inputMode="numeric" required size={6} />
                </label>
                <button type="submit">{t('op.edge.bind', { meter: p.meterId })}</button>
              </form>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Commands({ id }: { id: string }) {
  const { t, f } = useI18n();
  const say = useEnumText();
  const e = encodeURIComponent(id);
  const [tick, setTick] = useState(0);
  const [outcome, setOutcome] = useState('');
  const list = useApi(
    () => getJson<ListPage<DeviceCommand>>(`/edges/${e}/commands?limit=50`),
    [id, tick],
  );
  useRefreshWhile(!!list.data?.items.some((c) => c.state === 'pending' || c.state === 'sent'), () =>
    setTick((n) => n + 1),
  );
  const send = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const value = String(form.get('value') ?? '').trim();
    try {
      await postJson(
        `/edges/${e}/devices/${encodeURIComponent(String(form.get('device')))}/commands`,
        {
          command: String(form.get('command')),
          ...(value ? { value: Number(value) } : {}),
        },
      );
      setOutcome(t('op.edge.commandSent'));
      setTick((n) => n + 1);
    } catch (err) {
      setOutcome(t('error.generic', { message: (err as Error).message }));
    }
  };
  return (
    <>
      <h2>{t('op.edge.commands')}</h2>
      <form class="controls" onSubmit={send}>
        <label>
          {t('op.edge.col.device')} <input name="device" required />
        </label>
        <label>
          {t('op.edge.command')} <input name="command" required />
        </label>
        <label>
          {t('op.edge.value')} <input name="value" inputMode="decimal" />
        </label>
        <button type="submit">{t('op.edge.send')}</button>
      </form>
      <p role="status">{outcome}</p>
      {list.data && list.data.items.length > 0 && (
        <table data-testid="op-commands" aria-live="polite">
          <thead>
            <tr>
              <th scope="col">{t('op.edge.col.device')}</th>
              <th scope="col">{t('op.edge.command')}</th>
              <th scope="col">{t('op.edge.col.state')}</th>
              <th scope="col">{t('op.edge.col.requested')}</th>
              <th scope="col">{t('op.edge.col.result')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((c) => (
              <tr key={c.id}>
                <th scope="row">{c.deviceId}</th>
                <td>
                  {c.command}
                  {c.value === null ? '' : ` = ${c.value}`}
                </td>
                <td>{say('cmdState', c.state)}</td>
                <td>
                  {t('op.alarms.byAt', { who: c.requestedBy, at: f.dateTime(c.requestedAt) })}
                </td>
                <td>{c.result ? `${c.result.code ?? ''} ${c.result.message ?? ''}` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function Config({ id }: { id: string }) {
  const { t, f } = useI18n();
  const e = encodeURIComponent(id);
  const [tick, setTick] = useState(0);
  const [outcome, setOutcome] = useState('');
  const config = useApi(async () => {
    try {
      return await getJson<EdgeConfig>(`/edges/${e}/config`);
    } catch {
      return null; // none set yet
    }
  }, [id, tick]);
  useRefreshWhile(!!config.data?.desired && !config.data.inSync, () => setTick((n) => n + 1));
  const save = async (event: Event) => {
    event.preventDefault();
    const text = String(new FormData(event.currentTarget as HTMLFormElement).get('config'));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      setOutcome(t('op.edge.configInvalid', { message: (err as Error).message }));
      return;
    }
    try {
      await putJson(`/edges/${e}/config`, {
        version: (config.data?.desired?.version ?? 0) + 1,
        config: parsed,
      });
      setOutcome(t('op.edge.configSaved'));
      setTick((n) => n + 1);
    } catch (err) {
      setOutcome(t('error.generic', { message: (err as Error).message }));
    }
  };
  if (config.loading && !config.data) return <p>{t('loading')}</p>;
  const c = config.data;
  return (
    <>
      <h2>{t('op.edge.config')}</h2>
      <p data-testid="op-config-state">
        {c?.desired
          ? t('op.edge.configDesired', {
              version: c.desired.version,
              who: c.desired.setBy,
              at: f.dateTime(c.desired.setAt),
            })
          : t('op.edge.configNone')}{' '}
        {c?.applied
          ? t(c.applied.ok ? 'op.edge.configApplied' : 'op.edge.configRefused', {
              version: c.applied.version,
              error: c.applied.error?.message ?? '',
            })
          : ''}{' '}
        {c && (c.inSync ? t('op.edge.inSync') : t('op.edge.notInSync'))}
      </p>
      <form onSubmit={save} key={`${c?.desired?.version ?? 0}`}>
        <label for="op-config">{t('op.edge.configJson')}</label>
        <textarea id="op-config" name="config" rows={10} cols={70}>
          {JSON.stringify(c?.desired?.config ?? {}, null, 2)}
        </textarea>
        <p role="status" data-testid="op-config-outcome">
          {outcome}
        </p>
        <button type="submit">{t('op.edge.configSave')}</button>
      </form>
    </>
  );
}
