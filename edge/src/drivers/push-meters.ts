import type { DeviceHealth } from '@gridlink/shared';
import { initialDeviceHealth } from '@gridlink/shared';
import type { DeviceView } from './types.js';

/** Bookkeeping for meters that push readings (UDP, TCP JSON): they are never polled. */
export class PushMeterHealth {
  readonly #driver: string;
  readonly #health = new Map<string, DeviceHealth>();
  readonly #rejected = new Map<string, number>();

  constructor(driver: string, deviceIds: readonly string[]) {
    this.#driver = driver;
    for (const id of deviceIds) this.#health.set(id, initialDeviceHealth(id));
  }

  accepted(deviceId: string, at: number): void {
    const h = this.#health.get(deviceId);
    if (!h) return;
    h.polls++;
    h.online = true;
    h.lastOkAt = at;
    h.consecutiveFailures = 0;
    h.lastError = null;
  }

  /** A message from a known meter that could not be used (bad value, bad time). */
  failed(deviceId: string, code: string, message: string): void {
    const h = this.#health.get(deviceId);
    if (!h) return;
    h.failures++;
    h.consecutiveFailures++;
    h.lastError = `${code}: ${message}`.slice(0, 300);
    this.#rejected.set(`${deviceId}/${code}`, (this.#rejected.get(`${deviceId}/${code}`) ?? 0) + 1);
  }

  /** The device set changed in place (a remote config): kept ids keep their health. */
  retain(deviceIds: readonly string[]): void {
    const keep = new Set(deviceIds);
    for (const id of [...this.#health.keys()]) if (!keep.has(id)) this.#health.delete(id);
    for (const id of deviceIds)
      if (!this.#health.has(id)) this.#health.set(id, initialDeviceHealth(id));
    for (const key of [...this.#rejected.keys()])
      if (!keep.has(key.slice(0, key.lastIndexOf('/')))) this.#rejected.delete(key);
  }

  setOnline(deviceId: string, online: boolean): void {
    const h = this.#health.get(deviceId);
    if (h) h.online = online;
  }

  views(): DeviceView[] {
    return [...this.#health.values()].map((h) => {
      const errors: Record<string, number> = {};
      for (const [key, n] of this.#rejected)
        if (key.startsWith(`${h.deviceId}/`)) errors[key.slice(h.deviceId.length + 1)] = n;
      return { driver: this.#driver, health: { ...h }, errors };
    });
  }
}
