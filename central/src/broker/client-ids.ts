import { type MqttPrincipal, usernameOf } from './principals.js';

/**
 * The suffix an edge may add to its client id after `:` for a second, named session
 * (`edge-site-7:diag`). The separator is `:` because an edge id may itself contain `-`, `.` and
 * `_` (ID_PATTERN): with `-`, edge `a` could claim `edge-a-b`, edge `a-b`'s own id.
 */
const SUFFIX = /^[A-Za-z0-9._-]{1,32}$/;

/** The client id an edge's agent uses: one session per edge, taken over on reconnect. */
export function edgeClientId(edgeId: string): string {
  return `edge-${edgeId}`;
}

/**
 * Which MQTT client ids a principal may connect with (docs/SECURITY.md, "MQTT: identities,
 * sessions and limits"). The client id names the session (MQTT 3.1.1 §3.1.3.1) and a CONNECT
 * with a live session's id takes that session over (MQTT-3.1.4-2), so each principal gets a
 * namespace no other principal can reach:
 * - an edge: `edge-{edgeId}` or `edge-{edgeId}:{suffix}`;
 * - a car, an operator subscriber, a peer: its username (`car@ABC1D23`) or `{username}:{suffix}`
 *   (`@` is in no edge id, service name or station client id);
 * - a station client: exactly its client id, the one seed B keys its `client/{id}/…` topics by
 *   (its names avoid `edge-`, `central` and `refused-`: principals.ts);
 * - a service (the central itself): `{name}` or `{name}-{suffix}`, never inside the edges' `edge-`.
 * An empty client id, for which the broker would make one up, fits none.
 */
export function clientIdAllowed(principal: MqttPrincipal, clientId: string): boolean {
  switch (principal.kind) {
    case 'edge':
      return inNamespace(clientId, edgeClientId(principal.edgeId), ':');
    case 'station':
      return clientId === principal.clientId;
    case 'car':
      return inNamespace(clientId, usernameOf('car', principal.plate), ':');
    case 'operator':
    case 'peer':
      return inNamespace(clientId, usernameOf(principal.kind, principal.name), ':');
    case 'service':
      if (clientId.startsWith('edge-')) return false;
      return inNamespace(clientId, principal.name, '-');
  }
}

function inNamespace(clientId: string, base: string, separator: string): boolean {
  if (clientId === base) return true;
  return clientId.startsWith(base + separator) && SUFFIX.test(clientId.slice(base.length + 1));
}
