import type { TimerHandle } from '@gridlink/shared';
import type { MqttClient } from 'mqtt';
import type { ReconnectBackoff, Timers } from './types.js';

/**
 * Delay before reconnect attempt `attempt + 1`: exponential from initialMs, capped at maxMs, with
 * equal jitter (half fixed, half random) so a fleet of edges does not reconnect in lockstep.
 */
export function backoffDelay(attempt: number, backoff: ReconnectBackoff): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 32));
  const random = backoff.random ?? Math.random;
  return Math.max(1, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}

/**
 * Reconnecting stays mqtt.js's job; this only adjusts `options.reconnectPeriod`. mqtt.js reads it
 * each time a connection closes and arms the next attempt, and emits `reconnect` as each attempt
 * starts; so we set the next delay there, and reset to the first delay on `connect`.
 * Returns a function that detaches the listeners.
 */
/** What `attachClockReconnect` returns. */
export interface ClockReconnect {
  /** The delay the next reconnect will wait, ms. */
  nextDelayMs(): number;
  /** Detaches the listeners and cancels a pending reconnect. */
  detach(): void;
}

/**
 * Reconnects `client` on `timers` (an injected clock) instead of mqtt.js's own `setInterval`. For
 * a client created with `reconnectPeriod: 0`: after each close the owner did not ask for
 * (`client.end()` sets `disconnecting`), `client.reconnect()` runs after the backoff delay; a
 * refusing CONNACK closes the connection too, so it is retried the same way. The delay grows per
 * attempt and starts over after a `connect`.
 */
export function attachClockReconnect(
  client: MqttClient,
  backoff: ReconnectBackoff,
  timers: Timers,
): ClockReconnect {
  let attempt = 0;
  let next = backoffDelay(0, backoff);
  let timer: TimerHandle | undefined;
  const onClose = () => {
    if (timer !== undefined || client.disconnecting) return;
    const delay = next;
    attempt += 1;
    next = backoffDelay(attempt, backoff);
    timer = timers.setTimeout(() => {
      timer = undefined;
      if (!client.disconnecting && !client.connected) client.reconnect();
    }, delay);
    timer.unref();
  };
  const onConnect = () => {
    attempt = 0;
    next = backoffDelay(0, backoff);
  };
  client.on('close', onClose);
  client.on('connect', onConnect);
  return {
    nextDelayMs: () => next,
    detach: () => {
      client.off('close', onClose);
      client.off('connect', onConnect);
      timers.clearTimeout(timer);
      timer = undefined;
    },
  };
}

export function attachReconnectBackoff(client: MqttClient, backoff: ReconnectBackoff): () => void {
  let attempt = 0;
  const apply = () => {
    client.options.reconnectPeriod = backoffDelay(attempt, backoff);
  };
  const onConnect = () => {
    attempt = 0;
    apply();
  };
  const onReconnect = () => {
    attempt += 1;
    apply();
  };
  apply();
  client.on('connect', onConnect);
  client.on('reconnect', onReconnect);
  return () => {
    client.off('connect', onConnect);
    client.off('reconnect', onReconnect);
  };
}
