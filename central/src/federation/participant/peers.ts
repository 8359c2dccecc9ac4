import { GridlinkError } from '@gridlink/shared';
import type { FederationConfig } from '../config.js';

/**
 * The coordinator a peer token speaks for: its subject, when that names a configured peer (we
 * must be able to call it back, docs/FEDERATION.md); else GL_FED_UNKNOWN_PEER.
 */
export function peerOfSubject(config: FederationConfig, subject: string | null): string {
  if (subject !== null && config.peers.some((p) => p.name === subject)) return subject;
  throw new GridlinkError(
    'GL_FED_UNKNOWN_PEER',
    subject === null
      ? 'the peer token names no peer'
      : `peer ${JSON.stringify(subject.slice(0, 64))} is not configured in federation.peers`,
  );
}
