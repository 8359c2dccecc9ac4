import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import type { Database } from '../src/storage/index.js';
import { CNPJ_C, CPF_A, testApi } from './helpers/api.js';
import { describeEachStore } from './helpers/stores.js';

/**
 * Sessions end when asked: sign-out revokes the presented token, a password change revokes the
 * customer's sessions, admins and customers list and revoke tokens.
 */
describeEachStore('sessions and tokens', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let api: ReturnType<typeof testApi>;
  const t: Record<string, string> = {};

  const signIn = async (document: string, password: string) => {
    const r = await api.call('POST', '/api/v1/auth/login', { body: { document, password } });
    expect(r.status).toBe(200);
    return r.body.token as string;
  };
  const status = async (token: string, path = '/api/v1/customers') =>
    (await api.call('GET', path, { token })).status;

  beforeAll(async () => {
    database = await store.open();
    api = testApi(database);
    t.admin = await mintToken(database.db, { role: 'admin', label: 'ops console' });
    t.operator = await mintToken(database.db, { role: 'operator' });
    t.driver = await mintToken(database.db, { role: 'driver', subject: 'd1' });
    for (const [document, password] of [
      [CPF_A, 'senha-da-ana'],
      [CNPJ_C, 'senha-da-padaria'],
    ]) {
      const r = await api.call('POST', '/api/v1/customers', {
        token: t.admin,
        body: { document, name: document, password },
      });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => database.dispose());

  it('sign-out revokes the presented token and only that one', async () => {
    const phone = await signIn(CPF_A, 'senha-da-ana');
    const laptop = await signIn(CPF_A, 'senha-da-ana');
    const out = await api.call('POST', '/api/v1/auth/logout', { token: phone });
    expect(out.status).toBe(204);
    expect(await status(phone)).toBe(401);
    expect((await api.call('POST', '/api/v1/auth/logout', { token: phone })).status).toBe(401);
    expect(await status(laptop)).toBe(200);
    // Staff sign out the same way.
    const temp = await mintToken(database.db, { role: 'operator' });
    expect((await api.call('POST', '/api/v1/auth/logout', { token: temp })).status).toBe(204);
    expect(await status(temp)).toBe(401);
    expect((await api.call('POST', '/api/v1/auth/logout')).status).toBe(401);
  });

  it('staff setting a password revokes every token of that customer, no one else’s', async () => {
    const a1 = await signIn(CPF_A, 'senha-da-ana');
    const a2 = await signIn(CPF_A, 'senha-da-ana');
    const padaria = await signIn(CNPJ_C, 'senha-da-padaria');
    const patch = await api.call('PATCH', '/api/v1/customers/1', {
      token: t.operator,
      body: { password: 'nova-senha-da-ana' },
    });
    expect(patch.status).toBe(200);
    expect(await status(a1)).toBe(401);
    expect(await status(a2)).toBe(401);
    expect(await status(padaria)).toBe(200);
    expect(await status(t.operator as string)).toBe(200);
    const old = await api.call('POST', '/api/v1/auth/login', {
      body: { document: CPF_A, password: 'senha-da-ana' },
    });
    expect(old.status).toBe(401);
    t.ana = await signIn(CPF_A, 'nova-senha-da-ana');
    // Changing anything else revokes nothing.
    await api.call('PATCH', '/api/v1/customers/1', { token: t.operator, body: { name: 'Ana' } });
    expect(await status(t.ana)).toBe(200);
  });

  it('a customer changes its own password: this session stays, the others end', async () => {
    const other = await signIn(CPF_A, 'nova-senha-da-ana');
    const wrong = await api.call('POST', '/api/v1/auth/password', {
      token: t.ana,
      body: { currentPassword: 'not-it', newPassword: 'terceira-senha' },
    });
    expect(wrong.status).toBe(403);
    expect(await status(other)).toBe(200);
    const ok = await api.call('POST', '/api/v1/auth/password', {
      token: t.ana,
      body: { currentPassword: 'nova-senha-da-ana', newPassword: 'terceira-senha' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ revoked: 1 });
    expect(await status(t.ana as string)).toBe(200);
    expect(await status(other)).toBe(401);
    await signIn(CPF_A, 'terceira-senha');
    // Staff have no customer password to change.
    const staff = await api.call('POST', '/api/v1/auth/password', {
      token: t.operator,
      body: { currentPassword: 'x', newPassword: 'yyyyyyyy' },
    });
    expect(staff.status).toBe(403);
  });

  it('the current password is guessed no faster than a sign-in', async () => {
    // Another central on the same database, with 2 free failures per account.
    const strict = testApi(database, {
      loginThrottle: {
        account: { freeFailures: 2, baseDelayMs: 1_000, maxDelayMs: 1_000, forgetAfterMs: 60_000 },
        address: {
          freeFailures: 100,
          baseDelayMs: 1_000,
          maxDelayMs: 1_000,
          forgetAfterMs: 60_000,
        },
      },
    });
    const session = await signIn(CNPJ_C, 'senha-da-padaria');
    const change = (currentPassword: string) =>
      strict.call('POST', '/api/v1/auth/password', {
        token: session,
        body: { currentPassword, newPassword: 'whatever-8' },
      });
    expect((await change('guess')).status).toBe(403);
    expect((await change('guess')).status).toBe(403);
    const throttled = await change('senha-da-padaria');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttled.body.error.code).toBe('GL_RATE_LIMITED');
    // Sign-in shares the count.
    const login = await strict.call('POST', '/api/v1/auth/login', {
      body: { document: CNPJ_C, password: 'senha-da-padaria' },
    });
    expect(login.status).toBe(429);
    strict.clock.now = new Date(strict.clock.now.getTime() + 1_000);
    expect((await change('senha-da-padaria')).status).toBe(200);
    await signIn(CNPJ_C, 'whatever-8');
  });

  it('admins list every live token; customers their own sessions; no secret is shown', async () => {
    const all = await api.call('GET', '/api/v1/tokens?limit=500', { token: t.admin });
    expect(all.status).toBe(200);
    const ids = all.body.items.map((i: { id: string }) => i.id);
    const idOf = (token: string) => token.split('_')[1];
    expect(ids).toContain(idOf(t.admin as string));
    expect(ids).toContain(idOf(t.ana as string));
    const mine = all.body.items.find((i: { id: string }) => i.id === idOf(t.admin as string));
    expect(mine).toMatchObject({ role: 'admin', label: 'ops console', current: true });
    // The secret is everything after `glt_<id>_` (base64url: it may itself contain `_`).
    for (const token of Object.values(t)) expect(all.text).not.toContain(token.slice(21));
    expect(all.text).not.toContain('sha256:');
    // Paged by id.
    const p1 = await api.call('GET', '/api/v1/tokens?limit=2', { token: t.admin });
    const p2 = await api.call('GET', `/api/v1/tokens?limit=2&cursor=${p1.body.next}`, {
      token: t.admin,
    });
    expect([...p1.body.items, ...p2.body.items].map((i: { id: string }) => i.id)).toEqual(
      ids.slice(0, 4),
    );

    const own = await api.call('GET', '/api/v1/tokens', { token: t.ana });
    expect(own.status).toBe(200);
    expect(own.body.items.every((i: { role: string; subject: string }) => i.subject === '1')).toBe(
      true,
    );
    expect(own.body.items.length).toBeGreaterThan(0);
    expect((await api.call('GET', '/api/v1/tokens', { token: t.operator })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/tokens', { token: t.driver })).status).toBe(403);
  });

  it('revoking: a customer its own sessions only, an admin any token', async () => {
    const second = await signIn(CPF_A, 'terceira-senha');
    const secondId = second.split('_')[1];
    const padaria = await signIn(CNPJ_C, 'whatever-8');
    const padariaId = padaria.split('_')[1];
    // Not hers: 404, and it still works.
    expect((await api.call('DELETE', `/api/v1/tokens/${padariaId}`, { token: t.ana })).status).toBe(
      404,
    );
    expect(await status(padaria)).toBe(200);
    expect((await api.call('DELETE', `/api/v1/tokens/${secondId}`, { token: t.ana })).status).toBe(
      204,
    );
    expect(await status(second)).toBe(401);
    expect(
      (await api.call('DELETE', `/api/v1/tokens/${padariaId}`, { token: t.admin })).status,
    ).toBe(204);
    expect(await status(padaria)).toBe(401);
    const opId = (t.operator as string).split('_')[1];
    expect((await api.call('DELETE', `/api/v1/tokens/${opId}`, { token: t.operator })).status).toBe(
      403,
    );
    expect((await api.call('DELETE', '/api/v1/tokens/not-an-id', { token: t.admin })).status).toBe(
      400,
    );
  });

  it('the routes are documented with their security and the 429', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(doc.paths['/api/v1/auth/logout'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/auth/password'].post.responses['429']).toBeDefined();
    expect(doc.paths['/api/v1/auth/login'].post.responses['429'].headers).toHaveProperty(
      'Retry-After',
    );
    expect(doc.paths['/api/v1/tokens'].get).toBeDefined();
    expect(doc.paths['/api/v1/tokens/{tokenId}'].delete).toBeDefined();
  });
});
