import type { Socket } from 'node:net';
import { PacketSizes } from './packet-sizes.js';

export interface GuardLimits {
  /** Until the CONNECT is authenticated: the largest packet, and all bytes read together. */
  preAuthBytes: number;
  /** Once authenticated: the largest packet, fixed header included. */
  maxPacketBytes: number;
}

/** Why a connection was cut. */
export type BreachCause = { stage: 'pre-auth' | 'connected'; limit: number } & (
  | { reason: 'too_large'; declared: number }
  | { reason: 'pre_auth_bytes'; received: number }
  | { reason: 'malformed_length' }
);
/** A cut, with what the broker's process had read of the socket by then (`socket.bytesRead`). */
export type Breach = BreachCause & { bytesRead: number };

/**
 * Watches what the broker reads from one socket and destroys the socket as soon as a packet's
 * fixed header declares more than the limit, before its body is buffered: aedes' parser would
 * otherwise hold up to 256 MiB per packet (MQTT 3.1.1 §2.2.3), and before authentication from
 * anyone. Attached after `aedes.handle(socket)`: with aedes' 'readable' listener in place, a
 * 'data' listener sees each chunk as aedes reads it and does not change the flow (Node streams:
 * 'readable' takes precedence), so the socket stays unwrapped and the hot path pays one call per
 * chunk. At most one chunk (≤ 64 KiB) past the header reaches aedes before the socket is gone.
 */
export class ConnectionGuard {
  private readonly sizes = new PacketSizes();
  private received = 0;
  private authenticated = false;
  private breached = false;

  constructor(
    private readonly socket: Socket,
    private readonly limits: GuardLimits,
    private readonly onBreach: (breach: Breach) => void,
  ) {
    socket.on('data', this.onData);
  }

  /** From now on the post-authentication packet limit applies. */
  markAuthenticated(): void {
    this.authenticated = true;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.breached) return;
    const stage = this.authenticated ? 'connected' : 'pre-auth';
    const limit = this.authenticated ? this.limits.maxPacketBytes : this.limits.preAuthBytes;
    if (!this.authenticated) {
      this.received += chunk.length;
      if (this.received > limit) {
        this.cut({ stage, limit, reason: 'pre_auth_bytes', received: this.received });
        return;
      }
    }
    const verdict = this.sizes.feed(chunk, limit);
    if (verdict.ok) return;
    if (verdict.reason === 'too_large')
      this.cut({ stage, limit, reason: 'too_large', declared: verdict.declared });
    else this.cut({ stage, limit, reason: 'malformed_length' });
  };

  private cut(cause: BreachCause): void {
    this.breached = true;
    const bytesRead = this.socket.bytesRead;
    this.socket.destroy();
    this.onBreach({ ...cause, bytesRead });
  }
}
