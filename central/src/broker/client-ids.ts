import type { MqttPrincipal } from './acl.js';

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
 * - a service (the central itself): `{name}` or `{name}-{suffix}`, never inside the edges' `edge-`.
 * An empty client id, for which the broker would make one up, fits neither.
 */
export function clientIdAllowed(principal: MqttPrincipal, clientId: string): boolean {
  if (principal.kind === 'edge') return inNamespace(clientId, edgeClientId(principal.edgeId), ':');
  if (clientId.startsWith('edge-')) return false;
  return inNamespace(clientId, principal.name, '-');
}

function inNamespace(clientId: string, base: string, separator: string): boolean {
  if (clientId === base) return true;
  return clientId.startsWith(base + separator) && SUFFIX.test(clientId.slice(base.length + 1));
}
