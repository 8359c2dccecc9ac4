import { useEffect, useState } from 'preact/hooks';
import { getJson, type Meter, type Page, type Reading } from '../api/index.js';
import { useI18n } from '../i18n/index.js';

const POLL_MS = 30_000;
const RECENT_MS = 15 * 60_000;

/**
 * The customer's power now: the newest reading's `power_total` (W) of each meter in the last
 * 15 minutes, summed, from GET /meters/{id}/readings; polled every 30 s.
 */
export function LivePower(props: { customerId: number }) {
  const { t, f } = useI18n();
  const [now, setNow] = useState<{ watts: number; at: string } | null>(null);
  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const meters = await getJson<Page<Meter>>(`/customers/${props.customerId}/meters`);
        const from = new Date(Date.now() - RECENT_MS).toISOString();
        let watts = 0;
        let at = '';
        for (const m of meters.items) {
          const page = await getJson<Page<Reading>>(
            `/meters/${m.id}/readings?from=${from}&limit=10000`,
          );
          const last = [...page.items]
            .reverse()
            .find((r) => typeof r.values.power_total === 'number');
          if (!last) continue;
          watts += last.values.power_total as number;
          if (last.ts > at) at = last.ts;
        }
        if (!stopped) setNow(at ? { watts, at } : null);
      } catch {
        if (!stopped) setNow(null);
      }
    };
    poll();
    const timer = setInterval(poll, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [props.customerId]);
  return (
    <p class="live" aria-live="polite">
      {t('live.title')}:{' '}
      {now ? (
        <>
          <strong data-testid="live-power">{f.kw(now.watts / 1000)}</strong>{' '}
          {t('live.at', { time: f.time(now.at) })}
        </>
      ) : (
        t('live.none')
      )}
    </p>
  );
}
