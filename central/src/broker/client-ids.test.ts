import { describe, expect, it } from 'vitest';
import { clientIdAllowed } from './client-ids.js';
import type { MqttPrincipal } from './principals.js';

const edge = (edgeId: string): MqttPrincipal => ({ kind: 'edge', edgeId });
const service: MqttPrincipal = { kind: 'service', name: 'central' };
const car: MqttPrincipal = { kind: 'car', plate: 'ABC1D23' };
const operator: MqttPrincipal = { kind: 'operator', name: 'ops' };
const peer: MqttPrincipal = { kind: 'peer', name: 'acme' };
const station: MqttPrincipal = { kind: 'station', clientId: 'st-1' };

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
    // A car, operator or peer: its username, or username:suffix.
    [car, 'car@ABC1D23', true],
    [car, 'car@ABC1D23:app', true],
    [car, 'car@ABC1D23-app', false],
    [car, 'car@ABC1D24', false],
    [car, 'ABC1D23', false],
    [operator, 'operator@ops', true],
    [operator, 'operator@ops:pager', true],
    [operator, 'operator@opsx', false],
    [peer, 'peer@acme', true],
    [peer, 'operator@acme', false],
    // A station client: exactly its client id (seed B keys its topics by it), no suffix.
    [station, 'st-1', true],
    [station, 'st-1:x', false],
    [station, 'station@st-1', false],
    [station, 'edge-st-1', false],
  ])('%o with %s → %s', (principal, clientId, allowed) => {
    expect(clientIdAllowed(principal, clientId)).toBe(allowed);
  });
});
