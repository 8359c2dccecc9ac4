import { edgeDownstream, edgeTopic, edgeUpstream } from '@gridlink/shared';

/** Who an MQTT connection is, once authenticated. */
export type MqttPrincipal = { kind: 'service'; name: string } | { kind: 'edge'; edgeId: string };

/**
 * Topic policy. A service (the central itself) may use the whole tree. An edge may publish only
 * its own upstream leaves and subscribe only to its own downstream leaves, by exact topic: no
 * wildcards, so `gl/v1/edges/+/ack` cannot reach another edge's acks (filters: MQTT-4.7.1).
 */
export function canPublish(principal: MqttPrincipal, topic: string): boolean {
  if (principal.kind === 'service') return true;
  return edgeUpstream.some((leaf) => edgeTopic(principal.edgeId, leaf) === topic);
}

export function canSubscribe(principal: MqttPrincipal, filter: string): boolean {
  if (principal.kind === 'service') return true;
  return edgeDownstream.some((leaf) => edgeTopic(principal.edgeId, leaf) === filter);
}

export function describePrincipal(p: MqttPrincipal): string {
  return p.kind === 'service' ? `service:${p.name}` : `edge:${p.edgeId}`;
}
