import { pino } from 'pino';
import { createApp } from '../../src/http/index.js';
import { createCentralMetrics } from '../../src/metrics/index.js';
import type { Database } from '../../src/storage/index.js';

/** A central HTTP app over `database`, with a settable fake clock and a JSON request helper. */
export function testApi(
  database: Database,
  extra: Partial<Omit<Parameters<typeof createApp>[0], 'db'>> = {},
) {
  const clock = { now: new Date('2026-01-15T12:00:00Z') };
  const app = createApp({
    db: database.db,
    logger: pino({ level: 'silent' }),
    metrics: createCentralMetrics().registry,
    now: () => clock.now,
    ...extra,
  });
  const call = async (
    method: string,
    path: string,
    opts: { token?: string; body?: unknown } = {},
    // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of many shapes
  ): Promise<{ status: number; body: any; text: string; headers: Headers }> => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await app.request(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers };
  };
  return { app, clock, call };
}

/** Valid documents for tests (check digits computed by hand, see customers/documents.test.ts). */
export const CPF_A = '529.982.247-25';
export const CPF_B = '111.444.777-35';
export const CNPJ_C = '11.222.333/0001-81';
