import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { looseObjectPaths } from '@gridlink/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/auth/index.js';
import { centralConfigSchema, parseCentralConfig } from '../src/config/index.js';
import { centralCommand } from '../src/testing/index.js';
import { CPF_A } from './helpers/api.js';
import { startTestCentral } from './helpers/central.js';

/** Every value of the central's config is checked at parse time (docs/CONFIG.md). */
describe('central config values', () => {
  it('is strict at every object level (the walk finds every object schema)', () => {
    expect(looseObjectPaths(centralConfigSchema)).toEqual([]);
  });

  it('is deep-frozen: no part of the process can change a setting', () => {
    const config = parseCentralConfig({ billing: { pix: PIX } });
    expect(Object.isFrozen(config.http.loginThrottle.account)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config.http.trustedProxies as string[]).push('10.0.0.1');
    }).toThrow(TypeError);
    expect(() => {
      (config.billing.pix as { key: string }).key = 'x';
    }).toThrow(TypeError);
  });

  it.each([
    ['a CPF', '52998224725'],
    ['a CNPJ', '11222333000181'],
    ['an e-mail', 'financeiro@coelba.com.br'],
    ['a +55 mobile', '+5571912345678'],
    ['a +55 landline', '+557133334444'],
    ['a random key', '123e4567-e12b-12d1-a456-426655440000'],
  ])('accepts %s as the Pix key', (_, key) => {
    expect(parseCentralConfig({ billing: { pix: { ...PIX, key } } }).billing.pix?.key).toBe(key);
  });

  it.each([
    ['a word', 'financeiro'],
    ['a CPF with a wrong check digit', '52998224726'],
    ['a formatted CPF', '529.982.247-25'],
    ['a phone without +55', '71912345678'],
    ['a phone of another country', '+14155552671'],
    ['an upper-case random key', '123E4567-E12B-12D1-A456-426655440000'],
  ])('refuses %s as the Pix key, naming billing.pix.key', (_, key) => {
    expect(() => parseCentralConfig({ billing: { pix: { ...PIX, key } } })).toThrow(
      /billing\.pix\.key: not a Pix key/,
    );
  });

  it.each([
    [
      { merchantName: 'Companhia de Eletricidade da Bahia' },
      /billing\.pix\.merchantName: at most 25/,
    ],
    [{ merchantName: '   ' }, /billing\.pix\.merchantName: must not be blank/],
    [{ merchantName: 'Luz ☀ Solar' }, /billing\.pix\.merchantName: only letters/],
    [{ merchantCity: 'Santo Antônio de Jesus' }, /billing\.pix\.merchantCity: at most 15/],
  ])('refuses merchant text %o (EMV tags 59/60)', (over, message) => {
    expect(() => parseCentralConfig({ billing: { pix: { ...PIX, ...over } } })).toThrow(message);
  });

  it('accepts accents in merchant text (dropped in the code: São Paulo → Sao Paulo)', () => {
    const pix = { ...PIX, merchantName: 'Energia São João', merchantCity: 'São Paulo' };
    expect(parseCentralConfig({ billing: { pix } }).billing.pix?.merchantCity).toBe('São Paulo');
  });

  it('checks cron expressions and time zones', () => {
    expect(() => parseCentralConfig({ billing: { cron: '61 3 1 * *' } })).toThrow(
      /billing\.cron: not a valid cron expression/,
    );
    expect(parseCentralConfig({ billing: { cron: '0 4 1 * *' } }).billing.cron).toBe('0 4 1 * *');
    expect(parseCentralConfig({}).timeZone).toBe('America/Bahia');
    expect(parseCentralConfig({ timeZone: 'America/Manaus' }).timeZone).toBe('America/Manaus');
    for (const zone of ['America/Salvador', '-03:00', 'Bahia', ''])
      expect(() => parseCentralConfig({ timeZone: zone })).toThrow(/timeZone: not an IANA/);
  });
});

const PIX = { key: '52998224725', merchantName: 'GridLink Energia', merchantCity: 'SALVADOR' };

const dir = mkdtempSync(join(tmpdir(), 'gl-central-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real CLI with `config` as its file: a bad one exits 2 before anything starts. */
function runWith(name: string, config: unknown) {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config));
  return spawnSync(
    process.execPath,
    [
      ...centralCommand(),
      '--config',
      file,
      '--data-dir',
      join(dir, name),
      '--http-port',
      '0',
      '--mqtt-port',
      '0',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
}

describe('gridlink-central with a bad config', () => {
  it.each([
    [
      'pix-key',
      { billing: { pix: { ...PIX, key: 'financeiro' } } },
      'billing.pix.key: not a Pix key',
    ],
    [
      'merchant',
      { billing: { pix: { ...PIX, merchantCity: 'Feira de Santana' } } },
      'billing.pix.merchantCity: at most 15',
    ],
    ['cron', { billing: { cron: '0 3 32 * *' } }, 'billing.cron: not a valid cron expression'],
    ['zone', { timeZone: 'America/Salvador' }, 'timeZone: not an IANA time zone'],
    ['http', { http: { prot: 8080 } }, 'http: Unrecognized key: "prot"'],
    ['mqtt-tls', { mqtt: { mode: 'embedded', tls: true } }, 'mqtt: Unrecognized key: "tls"'],
    ['log', { log: { levle: 'debug' } }, 'log: Unrecognized key: "levle"'],
  ])('%s: exits 2 naming the key path, before the database starts', (name, config, message) => {
    const r = runWith(name, config);
    expect(r.stderr).toContain(`GL_CONFIG_INVALID: ${message}`);
    expect(r.status).toBe(2);
    expect(r.stdout).not.toContain('ready');
  });
});

describe('one time zone', () => {
  it('a customer created over HTTP without a zone gets the central timeZone, and its history is read there', async () => {
    const t = await startTestCentral({ timeZone: 'America/Manaus', log: { level: 'silent' } });
    try {
      const token = await mintToken(t.central.database.db, { role: 'admin', label: 'tz' });
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const created = await fetch(`${t.central.http.url}/api/v1/customers`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ document: CPF_A, name: 'Ana' }),
      });
      expect(created.status).toBe(201);
      const customer = (await created.json()) as { id: number; timeZone: string };
      expect(customer.timeZone).toBe('America/Manaus');
      const history = await fetch(
        `${t.central.http.url}/api/v1/customers/${customer.id}/consumption?period=day`,
        { headers: auth },
      );
      expect(((await history.json()) as { timeZone: string }).timeZone).toBe('America/Manaus');
    } finally {
      await t.close();
    }
  });

  it("seed D's /cadCliente creates its customer in the central timeZone too", async () => {
    const t = await startTestCentral({
      timeZone: 'America/Manaus',
      log: { level: 'silent' },
      legacy: {
        seedD: { enabled: true, port: 0, anonymous: { enabled: true, routes: ['cadCliente'] } },
      },
    });
    try {
      const port = t.central.legacy.seedD?.port;
      const created = await fetch(`http://127.0.0.1:${port}/cadCliente`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: '52998224725', name: 'Ana' }),
      });
      expect(created.status).toBe(201);
      const row = await t.central.database.db
        .selectFrom('customers')
        .select('time_zone')
        .where('document', '=', '52998224725')
        .executeTakeFirst();
      expect(row?.time_zone).toBe('America/Manaus');
    } finally {
      await t.close();
    }
  });
});
