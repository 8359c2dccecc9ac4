import { describe, expect, it } from 'vitest';
import { EdgeSessions } from './sessions.js';

describe('EdgeSessions', () => {
  it('counts distinct client ids per edge; a takeover of a held id is never refused', () => {
    const sessions = new EdgeSessions<object>(2);
    const [a1, a2, a3, a1again, b1] = [{}, {}, {}, {}, {}];
    expect(sessions.admit('a', 'edge-a:1', a1)).toEqual({ ok: true });
    expect(sessions.admit('a', 'edge-a:2', a2)).toEqual({ ok: true });
    expect(sessions.admit('a', 'edge-a:3', a3)).toEqual({ ok: false, sessions: 2 });
    expect(sessions.admit('a', 'edge-a:1', a1again)).toEqual({ ok: true });
    expect(sessions.admit('b', 'edge-b:1', b1)).toEqual({ ok: true });
    expect(sessions.count('a')).toBe(2);
    // The taken-over connection closes: its id stays held by the new one.
    sessions.release(a1);
    expect(sessions.admit('a', 'edge-a:3', a3)).toEqual({ ok: false, sessions: 2 });
    sessions.release(a1again);
    expect(sessions.admit('a', 'edge-a:3', a3)).toEqual({ ok: true });
  });

  it('release is idempotent and forgets unknown handles', () => {
    const sessions = new EdgeSessions<object>(1);
    const h = {};
    sessions.admit('a', 'edge-a', h);
    sessions.release(h);
    sessions.release(h);
    sessions.release({});
    expect(sessions.count('a')).toBe(0);
    expect(sessions.admit('a', 'edge-a:x', {})).toEqual({ ok: true });
  });
});
