import type { Kysely } from 'kysely';
import { type ReadingOwner, registerTelemetryDevices } from '../edges/index.js';
import type { Schema } from '../storage/index.js';

/** Whose each device's readings are: meters by meter row, other kinds by device row. */
export interface ReadingOwners {
  meters: Map<string, number>;
  devices: Map<string, number>;
}

/**
 * Maps (edgeId, deviceId) to the owner of its readings through the device registry, registering
 * devices the first time they report (docs/WIRE.md "Devices and their kinds"): a meter's readings
 * go under its meter row, a charger's (or any other kind's) under its device row, never a meter.
 * Rows are only ever added and a kind never changes, so a cached owner stays valid; the cache
 * keeps the hot path at zero queries.
 */
export class MeterDirectory {
  readonly #db: Kysely<Schema>;
  readonly #cache = new Map<string, ReadingOwner>();

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** The owners of the devices' readings, registering new devices. */
  async owners(edgeId: string, deviceIds: Iterable<string>): Promise<ReadingOwners> {
    const out: ReadingOwners = { meters: new Map(), devices: new Map() };
    const put = (deviceId: string, owner: ReadingOwner) => {
      if ('meterId' in owner) out.meters.set(deviceId, owner.meterId);
      else out.devices.set(deviceId, owner.deviceRef);
    };
    const missing: string[] = [];
    for (const deviceId of new Set(deviceIds)) {
      const owner = this.#cache.get(`${edgeId}\u0000${deviceId}`);
      if (owner === undefined) missing.push(deviceId);
      else put(deviceId, owner);
    }
    if (missing.length > 0) {
      for (const [deviceId, owner] of await registerTelemetryDevices(this.#db, edgeId, missing)) {
        this.#cache.set(`${edgeId}\u0000${deviceId}`, owner);
        put(deviceId, owner);
      }
    }
    return out;
  }

  /** The meter ids of those devices that are meters (registering new devices as meters). */
  async resolve(edgeId: string, deviceIds: Iterable<string>): Promise<Map<string, number>> {
    return (await this.owners(edgeId, deviceIds)).meters;
  }
}
