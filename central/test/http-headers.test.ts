import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { bindMeter, createCustomer } from '../src/customers/index.js';
import { type Database, openDatabase } from '../src/storage/index.js';
import { CPF_A, testApi } from './helpers/api.js';
import { readingFeeder } from './helpers/readings.js';

const SAME_EVERYWHERE = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** The CSP directives of a header, as a map of directive → sources. */
function directives(csp: string | null): Map<string, string[]> {
  return new Map(
    (csp ?? '')
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name as string, sources]),
  );
}

const sha256 = (text: string) =>
  `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Checks that a page would run under its CSP as a browser enforces it: every inline script and
 * style block is allowed by its hash, every external script and stylesheet is same-origin, and
 * nothing else is allowed (no 'unsafe-inline', no 'unsafe-eval', no other hosts).
 */
function expectPageAllowedByCsp(html: string, csp: string | null) {
  const d = directives(csp);
  expect(d.get('default-src')).toEqual(["'none'"]);
  expect(d.get('frame-ancestors')).toEqual(["'none'"]);
  const inline = (tag: string) =>
    [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '');
  for (const script of inline('script')) expect(d.get('script-src')).toContain(sha256(script));
  for (const style of inline('style')) expect(d.get('style-src')).toContain(sha256(style));
  for (const [, src] of html.matchAll(/<script src="([^"]+)"/g)) {
    expect(src).toMatch(/^\/[^/]/);
    expect(d.get('script-src')).toContain("'self'");
  }
  for (const [, href] of html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)) {
    expect(href).toMatch(/^\/[^/]/);
    expect(d.get('style-src')).toContain("'self'");
  }
  expect(html).not.toMatch(/\sstyle="/); // style attributes would need 'unsafe-inline'
  expect(html).not.toMatch(/\son[a-z]+="/); // so would event handler attributes
  for (const sources of d.values())
    for (const s of sources)
      expect(["'self'", "'none'", 'data:'].includes(s) || s.startsWith("'sha256-"), s).toBe(true);
}

describe('security headers', () => {
  let database: Database;
  let api: ReturnType<typeof testApi>;
  let admin: string;
  let customer: string;

  beforeAll(async () => {
    database = await openDatabase({ kind: 'pglite' });
    api = testApi(database, {
      billing: {
        pix: {
          key: '123e4567-e12b-12d1-a456-426655440000',
          merchantName: 'GridLink',
          merchantCity: 'Salvador',
        },
      },
    });
    api.clock.now = new Date('2024-02-20T12:00:00Z');
    admin = await mintToken(database.db, { role: 'admin' });
    const ids = await readingFeeder(
      database.db,
      'edge-s',
    )([
      { deviceId: 'm1', at: '2024-01-01T03:00:00Z', values: { energy_import: 1000 } },
      { deviceId: 'm1', at: '2024-02-01T03:00:00Z', values: { energy_import: 1100 } },
    ]);
    const c = await createCustomer(database.db, {
      document: CPF_A,
      name: 'Ana <script>alert(1)</script>',
      tariff: { id: 'flat-107', energy: { model: 'flat', pricePerKwh: '1.07' } },
    });
    await bindMeter(database.db, c.id, { meterId: ids.get('m1') as number });
    customer = await mintToken(database.db, { role: 'customer', subject: String(c.id) });
    const close = await api.call('POST', '/api/v1/billing/close', {
      token: admin,
      body: { period: '2024-01' },
    });
    expect(close.body.issued).toHaveLength(1);
  });
  afterAll(() => database.close());

  it('are on every answer: JSON, errors, metrics, assets, HTML', async () => {
    const answers = await Promise.all([
      api.app.request('/healthz'),
      api.app.request('/api/v1/meters', { headers: { authorization: `Bearer ${admin}` } }),
      api.app.request('/api/v1/meters'), // 401
      api.app.request('/api/v1/meters/abc/readings', {
        headers: { authorization: `Bearer ${admin}` },
      }), // 400
      api.app.request('/nowhere'), // 404
      api.app.request('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': '999999' },
        body: '{}',
      }), // 413
      api.app.request('/metrics', { headers: { authorization: `Bearer ${admin}` } }),
      api.app.request('/openapi.json'),
      api.app.request('/docs/assets/swagger-ui-bundle.js'),
      api.app.request('/docs'),
      api.app.request('/api/v1/invoices/1/html', {
        headers: { authorization: `Bearer ${customer}` },
      }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([
      200, 200, 401, 400, 404, 413, 200, 200, 200, 200, 200,
    ]);
    for (const res of answers) {
      for (const [name, value] of Object.entries(SAME_EVERYWHERE))
        expect(res.headers.get(name), `${res.url} ${name}`).toBe(value);
      expect(res.headers.get('x-powered-by')).toBeNull();
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
    // Whatever is not an HTML page may load nothing.
    for (const res of answers.slice(0, 9))
      expect(directives(res.headers.get('content-security-policy')).get('default-src')).toEqual([
        "'none'",
      ]);
  });

  it('the docs page runs under its CSP: the bootstrap script by hash, assets from here', async () => {
    const res = await api.app.request('/docs');
    const html = await res.text();
    const csp = res.headers.get('content-security-policy');
    expectPageAllowedByCsp(html, csp);
    expect(directives(csp).get('img-src')).toEqual(["'self'", 'data:']); // the CSS's data: icons
    expect(directives(csp).get('connect-src')).toEqual(["'self'"]); // /openapi.json, try-it-out
    // The page's assets are served, and need nothing from elsewhere.
    for (const [, path] of html.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const asset = await api.app.request(path as string);
      expect(asset.status, path).toBe(200);
    }
    const css = await (await api.app.request('/docs/assets/swagger-ui.css')).text();
    for (const [, url] of css.matchAll(/url\(["']?([^)"']+)/g)) expect(url).toMatch(/^data:/);
  });

  it('the printable invoice runs under its CSP: its stylesheet by hash, no script at all', async () => {
    const res = await api.app.request('/api/v1/invoices/1/html', {
      headers: { authorization: `Bearer ${customer}` },
    });
    const html = await res.text();
    const csp = res.headers.get('content-security-policy');
    expect(html).toContain('<svg'); // the Pix QR code, inline
    expect(html).not.toContain('<script>alert(1)'); // the name is escaped
    expectPageAllowedByCsp(html, csp);
    expect(directives(csp).get('script-src')).toBeUndefined();
    expect(directives(csp).get('style-src')).toHaveLength(1);
  });
});
