import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { invoiceLanguage } from '../src/billing/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { type Database, openDatabase } from '../src/storage/index.js';
import { CPF_A, testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';

const NB = '\u00a0';
const HOSTILE = `<script>alert("x")</script> & 'Zé'`;

/**
 * The printable invoice as a Brazilian reads it (issue #16 item 8): readings through the ingest,
 * the close and the page over the HTTP API. 30 kWh at R$ 0,80 with ICMS 20,5 %, PIS 0,96 %,
 * COFINS 4,43 % "por dentro" (docs/BILLING.md):
 *   B = 30 × 0,80 = 2400 centavos; T = round(2400 / 0,7411) = round(3238,40) = 3238
 *   T − B = 838 → 838 × (2050, 96, 443) / 2589 = 663,54 / 31,07 / 143,39 → 664, 31, 143
 */
describe('the invoice page in pt-BR and English', () => {
  let database: Database;
  let api: ReturnType<typeof testApi>;
  let token: string;
  let id: number;

  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite' });
    api = testApi(database, { billing: { dueDays: 10 } });
    const feed = readingFeeder(database.db, 'edge-page');
    // Bahia is UTC−3: 03:00Z is local midnight. January: 1000 → 1030 kWh.
    const ids = await feed([
      { deviceId: 'p1', at: '2024-01-01T03:00:00Z', values: { energy_import: 1000 } },
      { deviceId: 'p1', at: '2024-02-01T03:00:00Z', values: { energy_import: 1030 } },
    ]);
    const c = await createCustomer(database.db, {
      document: CPF_A,
      name: HOSTILE,
      tariff: {
        id: 'flat-0.80',
        energy: { model: 'flat', pricePerKwh: '0.80' },
        minimumAvailabilityKwh: false,
        taxes: [{ from: '2020-01-01', icms: '0.205', pis: '0.0096', cofins: '0.0443' }],
      },
    });
    await bindMeter(database.db, c.id, { meterId: ids.get('p1') as number });
    token = await mintToken(database.db, { role: 'customer', subject: String(c.id) });
    const admin = await mintToken(database.db, { role: 'admin' });
    // Closed on time: 1 February, 03:00 in Bahia.
    api.clock.now = new Date('2024-02-01T06:00:00Z');
    const closed = await api.call('POST', '/api/v1/billing/close', {
      token: admin,
      body: { period: '2024-01' },
    });
    expect(closed.status).toBe(200);
    id = closed.body.issued[0];
  });
  afterAll(() => database.close());

  const page = async (query = '', acceptLanguage?: string) => {
    const res = await api.app.request(`/api/v1/invoices/${id}/html${query}`, {
      headers: {
        authorization: `Bearer ${token}`,
        ...(acceptLanguage ? { 'accept-language': acceptLanguage } : {}),
      },
    });
    expect(res.status).toBe(200);
    return { text: await res.text(), lang: res.headers.get('content-language') };
  };

  it('pt-BR: numbers, units, money, percentages, dates and states as a Brazilian reads them', async () => {
    const { text, lang } = await page();
    expect(lang).toBe('pt-BR');
    expect(text).toContain('<html lang="pt-BR">');
    expect(text).toContain('<h1>Fatura de energia nº 2024-000001</h1>');
    expect(text).toContain('Período de 01/01/2024 a 31/01/2024');
    // Thirty kWh: a decimal comma, never "30.000" (thirty thousand in pt-BR).
    expect(text).toContain('Consumo medido: 30,000 kWh · Faturado: 30,000 kWh');
    expect(text).not.toContain('30.000');
    expect(text).toContain(
      `<tr><td>Consumo</td>\n<td class="n">30,000 kWh</td>\n<td class="n">R$${NB}0,80/kWh</td>\n<td class="n">R$${NB}24,00</td></tr>`,
    );
    expect(text).toContain(
      `<tr><td>ICMS</td>\n<td class="n"></td>\n<td class="n">20,5%</td>\n<td class="n">R$${NB}6,64</td></tr>`,
    );
    expect(text).toContain(`<td>PIS/PASEP</td>\n<td class="n"></td>\n<td class="n">0,96%</td>`);
    expect(text).toContain(`<td>COFINS</td>\n<td class="n"></td>\n<td class="n">4,43%</td>`);
    expect(text).toContain(`Total a pagar: R$${NB}32,38`);
    expect(text).toContain('Vencimento: 10/02/2024 · Situação: Em aberto');
    expect(text).not.toMatch(/Situação: open|0\.205|0\.8\b/);
  });

  it('a hostile customer name is escaped by the template', async () => {
    const { text } = await page();
    expect(text).not.toContain('<script>');
    expect(text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Zé&#39;');
  });

  it('the same page in English with ?lang=en or Accept-Language', async () => {
    const en = await page('?lang=en');
    expect(en.lang).toBe('en');
    expect(en.text).toContain('<h1>Electricity invoice no. 2024-000001</h1>');
    expect(en.text).toContain('Measured consumption: 30.000 kWh · Billed: 30.000 kWh');
    expect(en.text).toContain('Period 2024-01-01 to 2024-01-31');
    expect(en.text).toContain('Amount due: R$32.38');
    expect(en.text).toContain('Due date: 2024-02-10 · Status: Open');
    expect(en.text).toContain('<td class="n">20.5%</td>');
    expect((await page('', 'en-US,en;q=0.9')).lang).toBe('en');
    expect((await page('', 'fr-FR, en;q=0.4, pt;q=0.8')).lang).toBe('pt-BR');
    expect((await page('?lang=pt-BR', 'en')).lang).toBe('pt-BR');
  });

  it('language choice: query first, then Accept-Language by q-value, then pt-BR', () => {
    expect(invoiceLanguage(undefined, undefined)).toBe('pt-BR');
    expect(invoiceLanguage('en', 'pt-BR')).toBe('en');
    expect(invoiceLanguage(undefined, 'de, en-GB;q=0.5')).toBe('en');
    expect(invoiceLanguage(undefined, 'en;q=0, pt')).toBe('pt-BR');
    expect(invoiceLanguage(undefined, 'de')).toBe('pt-BR');
  });
});
