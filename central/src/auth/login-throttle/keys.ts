import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * Throttle keys. Accounts are keyed by a hash of the normalized document, whether or not a
 * customer has it, so throttling answers alike for documents that exist and those that do not
 * (no way to learn which do); the table holds no document in clear.
 */
export function accountKey(normalizedDocument: string): string {
  return `account:${createHash('sha256').update(normalizedDocument).digest('hex')}`;
}

/** The throttle key of a source address: `address:` and its block (addressBlock). */
export function addressKey(address: string | undefined): string {
  return `address:${addressBlock(address)}`;
}

/**
 * The block a source address is limited under, for sign-in throttling and the MQTT broker's
 * connection rate alike: IPv4 as is (IPv4-mapped IPv6 too); IPv6 by its /64, the block one
 * subscriber gets, so an attacker cannot take a fresh address for every try. Anything else (no
 * socket) is `unknown`, one shared block.
 */
export function addressBlock(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (isIPv4(address)) return address;
  if (isIPv6(address)) return ipv6Prefix64(address);
  return 'unknown';
}

/** The first four groups of an IPv6 address, expanded: `2001:db8:0:1::/64`. */
export function ipv6Prefix64(address: string): string {
  const [bare = ''] = address.split('%');
  const [head = '', tail] = bare.split('::');
  const groups = (part: string) => (part ? part.split(':') : []).flatMap(v4AsGroups);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

function v4AsGroups(group: string): string[] {
  if (!group.includes('.')) return [group];
  const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
