import { z } from 'zod';

export {
  assertTopicFilter,
  filterCovers,
  filtersOverlap,
  topicMatches,
  unsharedFilter,
  validTopicFilter,
  validTopicName,
} from './filters.js';

/**
 * An edge or device id: safe inside an MQTT topic level (no `/`, `+`, `#`, no NUL — MQTT-4.7.1)
 * and in a URL path. 1..64 characters.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const idSchema = z
  .string()
  .regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 . _ - (not starting with . _ -)');

export const TOPIC_ROOT = 'gl/v1';

/** Leaves under `gl/v1/edges/{edgeId}/`: upstream ones the edge publishes, downstream ones it receives. */
export const edgeUpstream = ['telemetry', 'status', 'commands/result', 'config/applied'] as const;
export const edgeDownstream = ['ack', 'config', 'commands'] as const;
export type EdgeLeaf = (typeof edgeUpstream)[number] | (typeof edgeDownstream)[number];

export function edgeTopic(edgeId: string, leaf: EdgeLeaf): string {
  return `${TOPIC_ROOT}/edges/${edgeId}/${leaf}`;
}

/** Subscription filter for one leaf across all edges (the central's side). */
export function allEdgesFilter(leaf: EdgeLeaf): string {
  return `${TOPIC_ROOT}/edges/+/${leaf}`;
}

export interface ParsedEdgeTopic {
  edgeId: string;
  leaf: EdgeLeaf;
}

const leaves = new Set<string>([...edgeUpstream, ...edgeDownstream]);

/** Parses `gl/v1/edges/{edgeId}/{leaf}`; undefined for anything else. */
export function parseEdgeTopic(topic: string): ParsedEdgeTopic | undefined {
  const prefix = `${TOPIC_ROOT}/edges/`;
  if (!topic.startsWith(prefix)) return undefined;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const edgeId = rest.slice(0, slash);
  const leaf = rest.slice(slash + 1);
  if (!idSchema.safeParse(edgeId).success || !leaves.has(leaf)) return undefined;
  return { edgeId, leaf: leaf as EdgeLeaf };
}
