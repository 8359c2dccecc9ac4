import type { MqttClient } from 'mqtt';
import type { ReconnectBackoff } from './types.js';

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
