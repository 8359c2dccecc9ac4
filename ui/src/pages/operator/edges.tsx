import { getJson } from '../../api/index.js';
import { useApi } from '../../app/use-api.js';
import { useI18n } from '../../i18n/index.js';
import { useCount } from './format.js';
import type { Edge } from './types.js';
import { useTick } from './use-tick.js';

const POLL_MS = 15_000;

/**
 * Every edge's health from `GET /edges`: online (its last status), last seen, the store-and-forward
 * backlog (readings logged but not yet acknowledged), drops (the edge's and the central's count of
 * readings lost) and readings quarantined at ingest; device error counters summed from the status.
 */
export function OperatorEdgesPage() {
  const { t, f } = useI18n();
  const count = useCount();
  const tick = useTick(POLL_MS);
  const edges = useApi(() => getJson<{ items: Edge[] }>('/edges'), [tick]);
  return (
    <section>
      <h1>{t('op.edges.title')}</h1>
      {edges.error && <p role="alert">{t('error.generic', { message: edges.error.message })}</p>}
      {!edges.data && !edges.error && <p>{t('loading')}</p>}
      {edges.data && edges.data.items.length === 0 && <p>{t('op.edges.none')}</p>}
      {edges.data && edges.data.items.length > 0 && (
        <table data-testid="op-edges">
          <caption class="visually-hidden">{t('op.edges.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('op.edges.col.edge')}</th>
              <th scope="col">{t('op.edges.col.online')}</th>
              <th scope="col">{t('op.edges.col.lastSeen')}</th>
              <th scope="col">{t('op.edges.col.devices')}</th>
              <th scope="col">{t('op.edges.col.errors')}</th>
              <th scope="col">{t('op.edges.col.backlog')}</th>
              <th scope="col">{t('op.edges.col.dropped')}</th>
              <th scope="col">{t('op.edges.col.quarantined')}</th>
            </tr>
          </thead>
          <tbody>
            {edges.data.items.map((e) => {
              const devices = e.status?.devices ?? [];
              const online = devices.filter((d) => d.online).length;
              const failures = devices.reduce((n, d) => n + d.failures, 0);
              return (
                <tr key={e.id}>
                  <th scope="row">
                    <a href={`/operator/edge?id=${encodeURIComponent(e.id)}`}>{e.id}</a>
                  </th>
                  <td>{e.status?.online ? t('op.yes') : t('op.no')}</td>
                  <td>{e.lastSeenAt ? f.dateTime(e.lastSeenAt) : '—'}</td>
                  <td class="n">
                    {t('op.edges.devicesOnline', { online, total: devices.length })}
                  </td>
                  <td class="n">{count(failures)}</td>
                  <td class="n">{count(e.status?.log?.pending ?? 0)}</td>
                  <td class="n">
                    {count(Math.max(e.ingest?.dropped ?? 0, e.status?.log?.dropped ?? 0))}
                  </td>
                  <td class="n">{count(e.ingest?.quarantined ?? 0)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
