import { ID_PATTERN } from '@gridlink/shared';

/**
 * Who an MQTT connection is, once authenticated (docs/SECURITY.md, "MQTT: principals and
 * policy"). `name` is what the principal's topics are keyed by: an edge's id, a car's plate, a
 * station client's client id (seed B), an operator subscriber's or a peer central's name.
 */
export type MqttPrincipal =
  | { kind: 'service'; name: string }
  | { kind: 'edge'; edgeId: string }
  | { kind: 'car'; plate: string }
  | { kind: 'station'; clientId: string }
  | { kind: 'operator'; name: string }
  | { kind: 'peer'; name: string };

export type PrincipalKind = MqttPrincipal['kind'];

/** The kinds whose credentials live in `mqtt_credentials` (edges keep theirs in `edges`). */
export const credentialKinds = ['car', 'station', 'operator', 'peer'] as const;
export type CredentialKind = (typeof credentialKinds)[number];

/**
 * A Brazilian plate, old (`ABC1234`) or Mercosul (`ABC1D23`), upper case, no dash: the `placa`
 * of seed A's `carros/{placa}/…` topics.
 */
export const PLATE_PATTERN = /^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$/;

/**
 * Separates a kind from a name in a username (`car@ABC1D23`). Not in ID_PATTERN's alphabet, so no
 * edge id (an edge's username is its bare id) can be another kind's username; accepted by
 * `mosquitto_passwd`, which refuses `:` (the separator of its file).
 */
export const KIND_SEPARATOR = '@';

/** Why a name is not valid for a kind, or undefined when it is. */
export function nameProblem(kind: CredentialKind, name: string): string | undefined {
  if (kind === 'car')
    return PLATE_PATTERN.test(name)
      ? undefined
      : 'a plate is 3 letters, a digit, a letter or digit, 2 digits (ABC1234, ABC1D23)';
  if (!ID_PATTERN.test(name)) return 'must be 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -)';
  // A station client connects under its bare name as client id (seed B keys its topics by it):
  // it must not fall into another principal's client-id namespace (client-ids.ts).
  if (kind === 'station' && RESERVED_CLIENT_ID.test(name))
    return 'names starting with edge-, central or refused- are client ids of other principals';
  return undefined;
}

/** Client ids other principals (or refused connections) use; no station client may take one. */
export const RESERVED_CLIENT_ID = /^(edge-|central|refused-)/;

/** The MQTT username of a principal with a stored credential: `{kind}@{name}`. */
export function usernameOf(kind: CredentialKind, name: string): string {
  return `${kind}${KIND_SEPARATOR}${name}`;
}

/** Reads `{kind}@{name}`; undefined for anything else (a bare edge id among them). */
export function parseUsername(
  username: string,
): { kind: CredentialKind; name: string } | undefined {
  const at = username.indexOf(KIND_SEPARATOR);
  if (at <= 0) return undefined;
  const kind = username.slice(0, at);
  const name = username.slice(at + 1);
  if (!(credentialKinds as readonly string[]).includes(kind)) return undefined;
  if (nameProblem(kind as CredentialKind, name)) return undefined;
  return { kind: kind as CredentialKind, name };
}

/** The principal a stored credential of `kind` and `name` authenticates as. */
export function principalOf(kind: CredentialKind, name: string): MqttPrincipal {
  switch (kind) {
    case 'car':
      return { kind, plate: name };
    case 'station':
      return { kind, clientId: name };
    default:
      return { kind, name };
  }
}

/** The name a principal's topics are keyed by. */
export function nameOf(p: MqttPrincipal): string {
  switch (p.kind) {
    case 'edge':
      return p.edgeId;
    case 'car':
      return p.plate;
    case 'station':
      return p.clientId;
    default:
      return p.name;
  }
}

/** For logs: `edge:site-7`, `car:ABC1D23`, `service:central`. */
export function describePrincipal(p: MqttPrincipal): string {
  return `${p.kind}:${nameOf(p)}`;
}
