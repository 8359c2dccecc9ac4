/**
 * Who acts. One principal type for every HTTP caller: staff (admin, operator), a customer (its
 * session acts for one customer id), a driver (acts for a driver id), a service, and a peer central
 * (federation: its subject is the peer's federation name).
 */
export const roles = ['admin', 'operator', 'customer', 'driver', 'service', 'peer'] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  role: Role;
  /** The customer or driver it acts for, an operator's company, a peer's name; else null. */
  subject: string | null;
  /** The API token it presented. */
  tokenId: string;
}

/**
 * The customer a principal acts for: its subject as a serial id, or undefined for anyone who is
 * not a customer, or whose subject is not a positive safe integer (never NaN, never a guess).
 */
export function customerIdOf(who: Principal): number | undefined {
  if (who.role !== 'customer' || who.subject === null || !/^[1-9]\d{0,15}$/.test(who.subject))
    return undefined;
  const id = Number(who.subject);
  return Number.isSafeInteger(id) ? id : undefined;
}
