import {
  edgeDownstream,
  edgeUpstream,
  filterCovers,
  TOPIC_ROOT,
  topicMatches,
  unsharedFilter,
  validTopicFilter,
  validTopicName,
} from '@gridlink/shared';
import { type MqttPrincipal, nameOf, type PrincipalKind } from './principals.js';

/** What one kind of principal may publish to and subscribe to, as topic filters. */
export interface KindRules {
  /** Stands for the principal's name in the filters below; a whole topic level. */
  placeholder: string;
  publish: readonly string[];
  subscribe: readonly string[];
}

const edges = `${TOPIC_ROOT}/edges/{edgeId}`;
/** The trees the central (service) publishes and subscribes in. */
const centralTrees = [
  `${TOPIC_ROOT}/#`,
  'carros/#',
  'pontos/#',
  'reservas/#',
  'server/postos/#',
  'client/#',
] as const;

/**
 * The MQTT policy, as data (docs/SECURITY.md, "MQTT: principals and policy"). The embedded
 * broker's checks (`canPublish`, `canSubscribe`) and the Mosquitto ACL
 * (deploy/mosquitto/generate.ts) are both made from this one table.
 */
export const MQTT_POLICY: Readonly<Record<PrincipalKind, KindRules>> = Object.freeze({
  /** The central itself. */
  service: { placeholder: '{name}', publish: centralTrees, subscribe: centralTrees },
  /** An edge agent: its own upstream leaves out, its own downstream leaves in (docs/WIRE.md). */
  edge: {
    placeholder: '{edgeId}',
    publish: edgeUpstream.map((leaf) => `${edges}/${leaf}`),
    subscribe: edgeDownstream.map((leaf) => `${edges}/${leaf}`),
  },
  /**
   * A car (seed A): its own status and battery out; charging-point availability in, and its own
   * notices (`carros/{plate}/avisos`: a watched point became available, ev/trips).
   */
  car: {
    placeholder: '{plate}',
    publish: ['carros/{plate}/status', 'carros/{plate}/bateria'],
    subscribe: ['pontos/+/disponibilidade', 'carros/{plate}/avisos'],
  },
  /** A station client (seed B): requests to the servers out; answers under its own client id in. */
  station: {
    placeholder: '{clientId}',
    publish: ['server/postos/request', 'server/postos/reserva'],
    subscribe: ['client/{clientId}/#'],
  },
  /**
   * An operator's subscriber (a console, a pager bridge, a driver-notification bridge): alarms,
   * availability and reservation status, read-only.
   */
  operator: {
    placeholder: '{name}',
    publish: [],
    subscribe: [
      `${TOPIC_ROOT}/operators/alarms`,
      `${TOPIC_ROOT}/customers/+/alarms`,
      'pontos/+/disponibilidade',
      'reservas/+/status',
    ],
  },
  /** Another company's central: federation runs over HTTP; no MQTT rights yet. */
  peer: { placeholder: '{name}', publish: [], subscribe: [] },
});

type Rules = { readonly publish: readonly string[]; readonly subscribe: readonly string[] };

/**
 * Rules filled in per principal object: the broker holds one principal per connection and asks
 * for every PUBLISH and SUBSCRIBE, so the filters are filled once, not once per packet.
 */
const filled = new WeakMap<MqttPrincipal, Rules>();

/** A principal's rules with its name in place of the placeholder. */
export function rulesOf(principal: MqttPrincipal): Rules {
  let rules = filled.get(principal);
  if (!rules) {
    rules = Object.freeze(fillRules(principal));
    filled.set(principal, rules);
  }
  return rules;
}

function fillRules(principal: MqttPrincipal): Rules {
  const rules = MQTT_POLICY[principal.kind];
  const name = nameOf(principal);
  const fill = (filter: string) =>
    filter
      .split('/')
      .map((level) => (level === rules.placeholder ? name : level))
      .join('/');
  return { publish: rules.publish.map(fill), subscribe: rules.subscribe.map(fill) };
}

/** Whether `principal` may publish to the topic name `topic`. */
export function canPublish(principal: MqttPrincipal, topic: string): boolean {
  if (!validTopicName(topic)) return false;
  return rulesOf(principal).publish.some((filter) => topicMatches(filter, topic));
}

/**
 * Whether `principal` may subscribe to `filter`: only if every topic the filter can match is
 * one the principal may read (MQTT 3.1.1 §4.7), so a wildcard reaching past its own topics is
 * refused whole, not narrowed. A shared subscription is judged by the filter it shares.
 */
export function canSubscribe(principal: MqttPrincipal, filter: string): boolean {
  const inner = unsharedFilter(filter);
  if (!validTopicFilter(inner)) return false;
  return rulesOf(principal).subscribe.some((allowed) => filterCovers(allowed, inner));
}

/**
 * Why a station client's request may not go out, or undefined: seed B's answer goes to the
 * `client_id` its payload names, so a request must name the sender's own client id (its principal
 * name). A payload that is not a JSON object with that `client_id` is refused. Other principals'
 * publishes are not looked into. Only the embedded broker reads payloads; on Mosquitto the ACL
 * confines what a station reads, not what its requests say (docs/LEGACY-SEED-B.md).
 */
export function stationRequestProblem(
  principal: MqttPrincipal,
  topic: string,
  payload: Buffer | string,
): string | undefined {
  if (principal.kind !== 'station' || !topic.startsWith('server/postos/')) return undefined;
  let clientId: unknown;
  try {
    clientId = (JSON.parse(payload.toString()) as { client_id?: unknown } | null)?.client_id;
  } catch {
    return 'payload is not JSON';
  }
  return clientId === principal.clientId ? undefined : 'client_id differs from the MQTT client id';
}
