import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may point (docs/SECURITY.md, "Webhooks and SSRF"). A URL an operator registers
 * is fetched by the central, from inside the utility's network: loopback, link-local (cloud
 * metadata at 169.254.169.254 included), unspecified and multicast addresses are refused unless
 * `allowLoopback` (tests, a receiver on the same host). Private ranges are allowed: a utility's
 * own receivers live there. The check runs on the address actually connected to (after DNS), so
 * a name that later resolves to loopback is refused too.
 */
const refused = new BlockList();
refused.addSubnet('127.0.0.0', 8, 'ipv4');
refused.addSubnet('169.254.0.0', 16, 'ipv4');
refused.addSubnet('0.0.0.0', 8, 'ipv4');
refused.addSubnet('224.0.0.0', 4, 'ipv4');
refused.addAddress('255.255.255.255', 'ipv4');
refused.addAddress('::1', 'ipv6');
refused.addAddress('::', 'ipv6');
refused.addSubnet('fe80::', 10, 'ipv6');
refused.addSubnet('ff00::', 8, 'ipv6');

/** Loopback-like addresses, also reachable through an IPv4-mapped IPv6 address. */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return refused.check(address, 'ipv4');
  if (family !== 6) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return refused.check(mapped[1] as string, 'ipv4');
  return refused.check(address, 'ipv6');
}

export interface TargetPolicy {
  /** Allow loopback and link-local targets (config `notifications.webhooks.allowLoopback`). */
  allowLoopback: boolean;
}

/** Why `url` may not be a webhook target, or undefined when it may. */
export function targetProblem(url: string, policy: TargetPolicy): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be http or https';
  if (u.username || u.password) return 'must not carry credentials';
  if (u.hash) return 'must not have a fragment';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowLoopback) {
    if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback target refused';
    if (isIP(host) && isRefusedAddress(host)) return 'loopback or link-local target refused';
  }
  return undefined;
}
