import {
  edgeStatusSchema,
  GridlinkError,
  isGridlinkError,
  parseEdgeTopic,
  parseJsonPayload,
} from '@gridlink/shared';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../storage/index.js';
import { recordEdgeStatus } from './registry.js';

export interface EdgeStatusHandlerOptions {
  db: Kysely<Schema>;
  logger: Logger;
  /** Counts refused payloads by catalog code. */
  rejected: { inc(labels: { code: string }): void };
  maxPayloadBytes: number;
  /**
   * Runs a task in the edge's ingest order: a status that arrived before a telemetry batch is
   * recorded before that batch is stored, so the batch's devices have the kinds the status gave.
   */
  inOrder: (edgeId: string, task: () => Promise<void>) => void;
  /** The central's clock (epoch ms): the edge's last-seen time. */
  now: () => number;
}

/**
 * The router's handler for `gl/v1/edges/+/status` (docs/WIRE.md "Edge status"): the shared
 * schema, the edge of the topic, then the edge row and its devices. A bad status is counted and
 * logged with its code; nothing of it is stored.
 */
export function edgeStatusHandler(o: EdgeStatusHandlerOptions) {
  const reject = (err: unknown, edgeId?: string) => {
    const code = isGridlinkError(err) ? err.code : 'GL_INTERNAL';
    o.rejected.inc({ code });
    o.logger.warn(
      { code, edgeId, reason: (err as Error).message.slice(0, 500) },
      'status payload rejected',
    );
  };
  return (topic: string, payload: Buffer): void => {
    const parsed = parseEdgeTopic(topic);
    if (parsed?.leaf !== 'status') {
      reject(
        new GridlinkError('GL_TOPIC_INVALID', `not an edge status topic: ${topic.slice(0, 200)}`),
      );
      return;
    }
    const { edgeId } = parsed;
    o.inOrder(edgeId, async () => {
      try {
        const status = parseJsonPayload(edgeStatusSchema, payload, o.maxPayloadBytes);
        if (status.edgeId !== edgeId)
          throw new GridlinkError(
            'GL_EDGE_MISMATCH',
            `status for ${status.edgeId} on the topic of ${edgeId}`,
          );
        await recordEdgeStatus(o.db, status, new Date(o.now()));
      } catch (err) {
        reject(err, edgeId);
      }
    });
  };
}
