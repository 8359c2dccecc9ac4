import { describe, expect, it } from 'vitest';
import type { MqttPrincipal } from './acl.js';
import { clientIdAllowed } from './client-ids.js';

const edge = (edgeId: string): MqttPrincipal => ({ kind: 'edge', edgeId });
const service: MqttPrincipal = { kind: 'service', name: 'central' };

describe('clientIdAllowed', () => {
  it.each([
    // [principal, client id, allowed]
    [edge('site-7'), 'edge-site-7', true],
    [edge('site-7'), 'edge-site-7:diag', true],
    [edge('site-7'), 'edge-site-7:a.b_c-1', true],
    [edge('site-7'), `edge-site-7:${'x'.repeat(32)}`, true],
    [edge('site-7'), `edge-site-7:${'x'.repeat(33)}`, false],
    [edge('site-7'), 'edge-site-7:', false],
    [edge('site-7'), 'edge-site-7:a:b', false],
    [edge('site-7'), 'edge-site-7:a/b', false],
    // Edge ids may contain '-': edge 'site' must not reach edge 'site-7''s ids.
    [edge('site'), 'edge-site-7', false],
    [edge('site'), 'edge-site-7:diag', false],
    [edge('site-7'), 'edge-site', false],
    [edge('site-7'), 'site-7', false],
    [edge('site-7'), 'EDGE-site-7', false],
    [edge('site-7'), 'central', false],
    [edge('site-7'), '', false],
    [edge('site-7'), 'aedes_8d3c', false],
    [service, 'central', true],
    [service, 'central-9f3a1b2c4d5e', true],
    [service, 'central:x', false],
    [service, 'centralx', false],
    [service, 'edge-site-7', false],
    [{ kind: 'service', name: 'edge' } as MqttPrincipal, 'edge-site-7', false],
  ])('%o with %s → %s', (principal, clientId, allowed) => {
    expect(clientIdAllowed(principal, clientId)).toBe(allowed);
  });
});
