import { describe, expect, it } from 'vitest';
import { federationConfigSchema } from '../src/federation/index.js';

/** The federation config refuses what would leak a peer token or confuse who is who. */
describe('federation config', () => {
  const peer = (url: string, name = 'company-b') => ({ name, url, token: 'x'.repeat(32) });
  const parse = (f: unknown) => federationConfigSchema.safeParse(f);

  it('takes https anywhere and http on loopback only', () => {
    for (const url of [
      'https://central.company-b.example',
      'http://127.0.0.1:8080',
      'http://localhost:3000',
      'http://[::1]:3000',
    ])
      expect(parse({ name: 'company-a', peers: [peer(url)] }).success, url).toBe(true);
    for (const url of ['http://central.company-b.example', 'http://10.0.0.5', 'ftp://x.example']) {
      const r = parse({ name: 'company-a', peers: [peer(url)] });
      expect(r.success, url).toBe(false);
      expect(JSON.stringify(r.error?.issues), url).toMatch(/peers.*url|url/);
    }
  });

  it('refuses peers without our name, a repeated peer, our own name, a short token', () => {
    expect(parse({ peers: [peer('https://b.example')] }).success).toBe(false);
    expect(
      parse({ name: 'a', peers: [peer('https://b.example'), peer('https://c.example')] }).success,
    ).toBe(false);
    expect(parse({ name: 'company-b', peers: [peer('https://b.example')] }).success).toBe(false);
    expect(
      parse({ name: 'a', peers: [{ name: 'b', url: 'https://b.example', token: 'short' }] })
        .success,
    ).toBe(false);
    expect(parse({ name: 'a', holdMinutes: 30, maxHoldMinutes: 15 }).success).toBe(false);
    expect(parse({ name: 'a', bogus: 1 }).success).toBe(false);
  });
});
