import { ID_PATTERN } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import { verifySecret } from '../auth/index.js';
import type { Schema } from '../storage/index.js';
import { verifyMqttCredential } from './credentials.js';
import { type MqttPrincipal, nameProblem, parseUsername, principalOf } from './principals.js';

export interface AuthenticatorOptions {
  db: Kysely<Schema>;
  /** The central's own identity: its username, the hash of its secret, its principal's name. */
  service: { username: string; secretHash: string; name: string };
  /** Checks an edge's secret (edges keep theirs in `edges`, set by PUT /edges/{id}/credential). */
  verifyEdge: (edgeId: string, secret: string) => Promise<boolean>;
}

/**
 * Resolves a CONNECT's username and password to a principal: the service's username; then
 * `{kind}@{name}` for a stored credential (car, station, operator, peer); then a bare edge id.
 * `@` is in no edge id, so a username belongs to exactly one kind.
 */
export function mqttAuthenticator(options: AuthenticatorOptions) {
  return async (username: string, password: string): Promise<MqttPrincipal | undefined> => {
    if (username === options.service.username)
      return verifySecret(password, options.service.secretHash)
        ? { kind: 'service', name: options.service.name }
        : undefined;
    const stored = parseUsername(username);
    if (stored)
      return (await verifyMqttCredential(options.db, stored.kind, stored.name, password))
        ? principalOf(stored.kind, stored.name)
        : undefined;
    if (!ID_PATTERN.test(username)) return undefined;
    return (await options.verifyEdge(username, password))
      ? { kind: 'edge', edgeId: username }
      : undefined;
  };
}

/**
 * Anonymous station clients (seed B, where the operator enables them): a client id that is a
 * valid station name becomes the station principal of that name, confined like a station with
 * credentials (policy.ts). A name that has a stored station credential stays that credential's:
 * an anonymous client could otherwise take its session over (MQTT-3.1.4-2).
 */
export function anonymousStations(db: Kysely<Schema>) {
  return async (clientId: string): Promise<MqttPrincipal | undefined> => {
    if (nameProblem('station', clientId)) return undefined;
    const stored = await db
      .selectFrom('mqtt_credentials')
      .select('name')
      .where('kind', '=', 'station')
      .where('name', '=', clientId)
      .executeTakeFirst();
    return stored ? undefined : principalOf('station', clientId);
  };
}
