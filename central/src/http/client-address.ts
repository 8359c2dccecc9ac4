import { isIP } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

const unmapped = (a: string) => a.replace(/^::ffff:(?=\d{1,3}(\.\d{1,3}){3}$)/i, '');

/**
 * The address a request came from: the connecting socket's peer. `X-Forwarded-For` is believed
 * only when that peer is one of `trustedProxies`, and then only up to the first hop (from the
 * right) that is not a trusted proxy: an untrusted client can prepend whatever it likes, not
 * append. Undefined when there is no socket (requests made in-process).
 */
export function clientAddress(c: Context, trustedProxies: ReadonlySet<string>): string | undefined {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    peer = undefined;
  }
  if (!peer) return undefined;
  peer = unmapped(peer);
  if (!trustedProxies.has(peer)) return peer;
  const hops = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => unmapped(h.trim()))
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!isIP(hop)) return peer; // a proxy we trust would not write that: keep what we know
    if (!trustedProxies.has(hop)) return hop;
  }
  return peer;
}
