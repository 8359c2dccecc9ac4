import {
  type ChannelHealth,
  type DeviceHealth,
  type DeviceKind,
  type EdgeStatus,
  getProfile,
  type Profile,
} from '@gridlink/shared';
import type { DeviceConfig } from '../config/index.js';
import type { ChannelView, DeviceView } from '../drivers/index.js';
import type { ReadingLogStats } from '../log/index.js';

/** What a device is: its kind, the driver serving it and, for profile-driven devices, the profile. */
export interface DeviceIdentity {
  kind: DeviceKind;
  driver: string;
  profile?: string;
}

/**
 * Each configured device's identity. Modbus devices take their kind from their register-map
 * profile (`shared/profiles/*.json`); the push meters are meters; a KEBA station on its UDP
 * protocol is a charger.
 */
export function deviceIdentities(
  devices: readonly DeviceConfig[],
  profileOf: (id: string) => Profile = getProfile,
): Map<string, DeviceIdentity> {
  const out = new Map<string, DeviceIdentity>();
  for (const d of devices) {
    if (d.driver === 'modbus-tcp' || d.driver === 'modbus-rtu') {
      const p = profileOf(d.profile);
      out.set(d.id, { kind: p.kind, driver: d.driver, profile: p.id });
    } else if (d.driver === 'keba-udp') out.set(d.id, { kind: 'charger', driver: d.driver });
    else out.set(d.id, { kind: 'meter', driver: d.driver });
  }
  return out;
}

export interface EdgeStatusParts {
  edgeId: string;
  at: number;
  agentVersion: string;
  configVersion: number;
  log: Pick<ReadingLogStats, 'epoch' | 'lastSeq' | 'ackedUpTo' | 'pending' | 'dropped'>;
  devices: readonly DeviceView[];
  identities: ReadonlyMap<string, DeviceIdentity>;
  channels: readonly ChannelView[];
}

/**
 * The payload of `gl/v1/edges/{edgeId}/status` (shared `edgeStatusSchema`, docs/WIRE.md
 * "Edge status"): the log's figures, each device's health with its kind, and each link's
 * counters under their snake_case wire names.
 */
export function buildEdgeStatus(p: EdgeStatusParts): EdgeStatus & { channels: ChannelHealth[] } {
  return {
    edgeId: p.edgeId,
    online: true,
    at: p.at,
    agentVersion: p.agentVersion,
    configVersion: p.configVersion,
    log: {
      epoch: p.log.epoch,
      lastSeq: p.log.lastSeq,
      ackedUpTo: p.log.ackedUpTo,
      pending: p.log.pending,
      dropped: p.log.dropped,
    },
    devices: p.devices.map((d): DeviceHealth => {
      const id = p.identities.get(d.health.deviceId);
      return {
        ...d.health,
        ...(id ? { kind: id.kind, driver: id.driver } : { driver: d.driver }),
        ...(id?.profile ? { profile: id.profile } : {}),
      };
    }),
    channels: p.channels.map((c) => ({
      driver: c.driver,
      channel: c.channel,
      counters: { ...c.counters },
    })),
  };
}
