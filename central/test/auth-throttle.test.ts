import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressKey, type LoginThrottlePolicy, mintToken } from '../src/auth/index.js';
import { parseCentralConfig } from '../src/config/index.js';
import { createCustomer } from '../src/customers/index.js';
import type { Database } from '../src/storage/index.js';
import { CNPJ_C, CPF_A, CPF_B, testApi } from './helpers/api.js';
import { startTestCentral } from './helpers/central.js';
import { describeEachStore } from './helpers/stores.js';

const PASSWORD = 'senha-da-ana';
const FOREVER = 24 * 3_600_000;

/** Account backoff only (the address allows plenty), on a short cap to walk it to the end. */
const ACCOUNT_ONLY: LoginThrottlePolicy = {
  account: { freeFailures: 5, baseDelayMs: 1_000, maxDelayMs: 8_000, forgetAfterMs: FOREVER },
  address: { freeFailures: 1_000, baseDelayMs: 1_000, maxDelayMs: 1_000, forgetAfterMs: FOREVER },
};

const login = (api: ReturnType<typeof testApi>, document: string, password: string) =>
  api.call('POST', '/api/v1/auth/login', { body: { document, password } });

/** The value of one sample of a counter in Prometheus text. */
function sample(text: string, metric: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describeEachStore('login throttling (fake clock)', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  let operator: string;

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database, { loginThrottle: ACCOUNT_ONLY });
    await createCustomer(database.db, { document: CPF_A, name: 'Ana', password: PASSWORD });
    await createCustomer(database.db, { document: CNPJ_C, name: 'Padaria', password: PASSWORD });
    operator = await mintToken(database.db, { role: 'operator' });
  });
  afterAll(() => database.dispose());

  it('backs off exponentially after 5 failures, up to the cap; a right password waits too', async () => {
    const expectThrottled = async (password: string, retryAfter: number) => {
      const r = await login(api, CPF_A, password);
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe(String(retryAfter));
      expect(r.body.error).toMatchObject({
        code: 'GL_RATE_LIMITED',
        details: { scope: 'account', retryAfterSeconds: retryAfter },
      });
    };
    for (let i = 0; i < 5; i++) expect((await login(api, CPF_A, 'wrong')).status).toBe(401);
    // 5 free failures, then 1 s, 2 s, 4 s, 8 s, and 8 s again (the cap).
    for (const wait of [1, 2, 4, 8, 8]) {
      await expectThrottled('wrong', wait);
      await expectThrottled(PASSWORD, wait);
      api.clock.now = new Date(api.clock.now.getTime() + wait * 1000 - 1);
      await expectThrottled(PASSWORD, 1); // a millisecond early is still early
      api.clock.now = new Date(api.clock.now.getTime() + 1);
      expect((await login(api, CPF_A, 'wrong')).status).toBe(401);
    }
    await expectThrottled(PASSWORD, 8);
    api.clock.now = new Date(api.clock.now.getTime() + 8_000);
    const ok = await login(api, CPF_A, PASSWORD);
    expect(ok.status).toBe(200);
    expect((await api.call('GET', '/api/v1/customers/1', { token: ok.body.token })).status).toBe(
      200,
    );
    // The success reset the account: 5 free failures again.
    for (let i = 0; i < 5; i++) expect((await login(api, CPF_A, 'wrong')).status).toBe(401);
    expect((await login(api, CPF_A, PASSWORD)).status).toBe(429);
    // Other accounts are not affected.
    expect((await login(api, CNPJ_C, PASSWORD)).status).toBe(200);
  });

  it('throttles a document no customer has exactly like one that exists', async () => {
    for (let i = 0; i < 5; i++) expect((await login(api, CPF_B, 'guess')).status).toBe(401);
    const r = await login(api, CPF_B, 'guess');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    // Formatting the document differently does not make it another account.
    expect((await login(api, '11144477735', 'guess')).status).toBe(429);
  });

  it('counts sign-ins in the metrics', async () => {
    const text = (await api.call('GET', '/metrics', { token: operator })).text;
    // ok: Ana and the Padaria. throttled: 3 per step × 5 steps + 2 (first test) + 2 (second).
    // failed: 5 + 5 steps + 5 after the reset (first test) + 5 (second).
    expect(sample(text, 'gridlink_http_logins_total{outcome="ok"}')).toBe(2);
    expect(sample(text, 'gridlink_http_logins_total{outcome="throttled"}')).toBe(19);
    expect(sample(text, 'gridlink_http_login_throttled_total{scope="account"}')).toBe(19);
    expect(sample(text, 'gridlink_http_logins_total{outcome="failed"}')).toBe(20);
  });

  it('is kept in the database: a second central on it refuses the same account', async () => {
    const other = testApi(database, { loginThrottle: ACCOUNT_ONLY });
    other.clock.now = api.clock.now;
    const r = await login(other, CPF_B, 'guess');
    expect(r.status).toBe(429);
    // And what it counts, the first one sees.
    other.clock.now = new Date(api.clock.now.getTime() + 1_000);
    expect((await login(other, CPF_B, 'guess')).status).toBe(401);
    api.clock.now = other.clock.now;
    expect((await login(api, CPF_B, 'guess')).headers.get('retry-after')).toBe('2');
  });

  it('concurrent guesses get no more than the free failures', async () => {
    const fresh = testApi(database, { loginThrottle: ACCOUNT_ONLY });
    const doc = '123.456.789-09';
    const answers = await Promise.all(Array.from({ length: 8 }, () => login(fresh, doc, 'wrong')));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
  });
});

/** A request over a real socket from a chosen loopback source address. */
function post(
  port: number,
  path: string,
  body: unknown,
  opts: { from: string; headers?: Record<string, string> },
): Promise<{
  status: number;
  headers: Record<string, unknown>;
  json: { error?: { code: string; details?: { scope?: string } } };
}> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        localAddress: opts.from,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: JSON.parse(Buffer.concat(chunks).toString()),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

describe('login throttling per source address (real sockets)', () => {
  let database: Database;
  const servers: ReturnType<typeof createAdaptorServer>[] = [];
  /** Address backoff only: 3 free failures per address, accounts allow plenty. */
  const ADDRESS_ONLY: LoginThrottlePolicy = {
    account: { freeFailures: 1_000, baseDelayMs: 1_000, maxDelayMs: 1_000, forgetAfterMs: FOREVER },
    address: {
      freeFailures: 3,
      baseDelayMs: 60_000,
      maxDelayMs: 3_600_000,
      forgetAfterMs: FOREVER,
    },
  };
  const documents = ['529.982.247-25', '111.444.777-35', '123.456.789-09', '987.654.321-00'];

  async function serve(extra: Parameters<typeof testApi>[1]) {
    const { app } = testApi(database, { loginThrottle: ADDRESS_ONLY, ...extra });
    const server = createAdaptorServer({ fetch: app.fetch });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  beforeAll(async () => {
    const { openDatabase } = await import('../src/storage/index.js');
    database = await openDatabase({ kind: 'pglite' });
    await createCustomer(database.db, { document: CPF_A, name: 'Ana', password: PASSWORD });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await database.close();
  });

  it('an address spraying many documents is stopped; other addresses are served', async () => {
    const port = await serve({});
    const attacker = { from: '127.0.0.2' };
    for (const document of documents.slice(1))
      expect(
        (await post(port, '/api/v1/auth/login', { document, password: 'x' }, attacker)).status,
      ).toBe(401);
    const blocked = await post(
      port,
      '/api/v1/auth/login',
      { document: CPF_A, password: PASSWORD },
      attacker,
    );
    expect(blocked.status).toBe(429);
    expect(blocked.json.error?.details?.scope).toBe('address');
    expect(blocked.headers['retry-after']).toBe('60');
    // X-Forwarded-For is ignored by default: the attacker cannot claim another address.
    const spoofed = await post(
      port,
      '/api/v1/auth/login',
      { document: CPF_A, password: PASSWORD },
      { ...attacker, headers: { 'x-forwarded-for': '203.0.113.9' } },
    );
    expect(spoofed.status).toBe(429);
    // The customer, from its own address, signs in.
    const ana = await post(
      port,
      '/api/v1/auth/login',
      { document: CPF_A, password: PASSWORD },
      { from: '127.0.0.3' },
    );
    expect(ana.status).toBe(200);
  });

  it('sign-ins that succeed do not count against their address (customers behind one NAT)', async () => {
    const port = await serve({});
    const office = { from: '127.0.0.5' };
    for (let i = 0; i < 6; i++)
      expect(
        (await post(port, '/api/v1/auth/login', { document: CPF_A, password: PASSWORD }, office))
          .status,
      ).toBe(200);
    // Two typos there are still within the address's three free failures.
    for (let i = 0; i < 2; i++)
      expect(
        (await post(port, '/api/v1/auth/login', { document: CPF_A, password: 'typo' }, office))
          .status,
      ).toBe(401);
    expect(
      (await post(port, '/api/v1/auth/login', { document: CPF_A, password: PASSWORD }, office))
        .status,
    ).toBe(200);
  });

  it('behind a configured proxy, X-Forwarded-For names the client', async () => {
    const port = await serve({ trustedProxies: ['127.0.0.4'] });
    const viaProxy = (client: string, document: string, password: string) =>
      post(
        port,
        '/api/v1/auth/login',
        { document, password },
        // The client may prepend anything; the proxy appends the peer it saw.
        { from: '127.0.0.4', headers: { 'x-forwarded-for': `198.51.100.1, ${client}` } },
      );
    for (const document of documents.slice(1))
      expect((await viaProxy('203.0.113.7', document, 'x')).status).toBe(401);
    expect((await viaProxy('203.0.113.7', CPF_A, PASSWORD)).status).toBe(429);
    // Another client behind the same proxy is not that client.
    expect((await viaProxy('203.0.113.8', CPF_A, PASSWORD)).status).toBe(200);
  });
});

describe('throttle address keys', () => {
  it.each([
    ['203.0.113.7', 'address:203.0.113.7'],
    ['::ffff:203.0.113.7', 'address:203.0.113.7'], // IPv4-mapped: the IPv4 address
    ['2001:db8:1:2:3:4:5:6', 'address:2001:db8:1:2::/64'], // a subscriber's /64, not the host
    ['2001:db8:1:2::9', 'address:2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', 'address:2001:db8:1:2::/64'],
    ['2001:db8::1', 'address:2001:db8:0:0::/64'],
    ['::1', 'address:0:0:0:0::/64'],
    ['fe80::1%eth0', 'address:fe80:0:0:0::/64'],
    [undefined, 'address:unknown'],
    ['not an address', 'address:unknown'],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});

describe('login throttling in the central', () => {
  it('config: defaults, and a bad value names its key', () => {
    const config = parseCentralConfig({});
    expect(config.http.trustedProxies).toEqual([]);
    expect(config.http.loginThrottle.account).toEqual({
      freeFailures: 10,
      baseDelayMs: 1_000,
      maxDelayMs: 900_000,
      forgetAfterMs: 86_400_000,
    });
    // The CLI validates, then the central parses the result again: it must read the same.
    const set = parseCentralConfig({
      http: {
        trustedProxies: ['10.0.0.1', '::1'],
        loginThrottle: { address: { freeFailures: 3 } },
      },
    });
    expect(parseCentralConfig(set).http).toEqual(set.http);
    for (const [http, key] of [
      [{ trustedProxies: ['10.0.0.0/8'] }, 'http.trustedProxies.0'],
      [{ loginThrottle: { address: { maxDelayMs: 10, baseDelayMs: 100 } } }, 'maxDelayMs'],
      [{ loginThrottle: { account: { freeFailure: 3 } } }, 'freeFailure'],
    ] as const)
      expect(() => parseCentralConfig({ http })).toThrow(key);
  });

  it('a started central throttles sign-ins over its real HTTP port', async () => {
    const t = await startTestCentral({
      http: {
        port: 0,
        loginThrottle: { address: { freeFailures: 1, baseDelayMs: 30_000, maxDelayMs: 30_000 } },
      },
    });
    try {
      const login = () =>
        fetch(`${t.central.http.url}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ document: CPF_B, password: 'guess' }),
        });
      expect((await login()).status).toBe(401);
      const r = await login();
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    } finally {
      await t.close();
    }
  });
});
