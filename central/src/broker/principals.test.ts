import { describe, expect, it } from 'vitest';
import { nameProblem, parseUsername, usernameOf } from './principals.js';

describe('MQTT usernames: {kind}@{name}, a bare edge id for edges', () => {
  it.each([
    // [username, parsed]
    ['car@ABC1D23', { kind: 'car', name: 'ABC1D23' }],
    ['car@ABC1234', { kind: 'car', name: 'ABC1234' }],
    ['car@abc1d23', undefined], // plates are upper case
    ['car@ABC-1234', undefined],
    ['station@st-1', { kind: 'station', name: 'st-1' }],
    ['station@edge-7', undefined], // would be edge 7's client id
    ['station@central-x', undefined],
    ['operator@ops.night', { kind: 'operator', name: 'ops.night' }],
    ['peer@acme', { kind: 'peer', name: 'acme' }],
    ['edge@site-7', undefined], // edges authenticate by their bare id
    ['service@central', undefined],
    ['site-7', undefined],
    ['car@', undefined],
    ['@ABC1D23', undefined],
    ['car@ABC1D23@x', undefined],
    ['operator@a/b', undefined],
    ['operator@a#', undefined],
  ])('%s → %o', (username, parsed) => {
    expect(parseUsername(username)).toEqual(parsed);
  });

  it('round-trips every valid name', () => {
    expect(parseUsername(usernameOf('station', 'client_42'))).toEqual({
      kind: 'station',
      name: 'client_42',
    });
    expect(nameProblem('car', 'ABC1D23')).toBeUndefined();
    expect(nameProblem('car', 'abc')).toMatch(/plate/);
    expect(nameProblem('operator', 'x\ny')).toMatch(/1-64/);
  });
});
