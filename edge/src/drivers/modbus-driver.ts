import { GridlinkError, getProfile, type Profile } from '@gridlink/shared';
import type { BusConfig, ModbusDeviceConfig } from '../config/index.js';
import { type LinkStats, type ModbusLink, ModbusRtuLink, ModbusTcpLink } from '../modbus/index.js';
import { DevicePoller } from '../poller/index.js';
import { commandWrite } from './command-write.js';
import { pollView } from './poll-view.js';
import type { ChannelView, DeviceView, Driver, DriverContext } from './types.js';

export interface ModbusDriverOptions extends DriverContext {
  devices: readonly ModbusDeviceConfig[];
  buses: readonly BusConfig[];
  /** Profiles by id; defaults to the shipped registry. */
  profile?: (id: string) => Profile;
}

interface Entry {
  device: ModbusDeviceConfig;
  profile: Profile;
  link: ModbusLink;
  poller: DevicePoller;
}

/**
 * Modbus RTU and Modbus TCP devices. One link per serial bus and per TCP host:port: devices behind
 * one gateway share its connection and its queue (the serial line behind it is one bus); a native
 * TCP device alone at its address may have `maxInFlight` requests outstanding.
 */
/** How long close() waits for polls in flight before it closes the links under them. */
const CLOSE_GRACE_MS = 2000;

const delay = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

export function createModbusDriver(o: ModbusDriverOptions): Driver {
  const profileOf = o.profile ?? getProfile;
  const links = new Map<string, ModbusLink>();
  const linkOptions = {
    ...(o.onTransaction ? { onTransaction: o.onTransaction } : {}),
  };
  const linkFor = (d: ModbusDeviceConfig): ModbusLink => {
    const key = d.driver === 'modbus-rtu' ? `bus:${d.bus}` : `tcp:${d.host}:${d.port}`;
    let link = links.get(key);
    if (!link) {
      if (d.driver === 'modbus-rtu') {
        const bus = o.buses.find((b) => b.id === d.bus);
        if (!bus) throw new GridlinkError('GL_CONFIG_INVALID', `device ${d.id}: no bus ${d.bus}`);
        link = new ModbusRtuLink(
          {
            path: bus.path,
            baudRate: bus.baudRate,
            dataBits: bus.dataBits,
            parity: bus.parity,
            stopBits: bus.stopBits,
            ...(bus.interFrameGapMs === undefined ? {} : { interFrameGapMs: bus.interFrameGapMs }),
          },
          linkOptions,
        );
      } else {
        link = new ModbusTcpLink(d.host, d.port, { ...linkOptions, maxInFlight: d.maxInFlight });
      }
      links.set(key, link);
    }
    return link;
  };
  const entries = new Map<string, Entry>();
  for (const device of o.devices) {
    const profile = profileOf(device.profile);
    const link = linkFor(device);
    const poller = new DevicePoller({
      ...pollView(device, profile),
      link,
      onReading: o.onReading,
      logger: o.logger,
      ...(o.clock ? { clock: o.clock } : {}),
    });
    entries.set(device.id, { device, profile, link, poller });
  }

  return {
    name: 'modbus',
    async start() {
      // Spread the devices of each link over their interval: a gateway with 200 meters at 1 s
      // gets one poll every 5 ms, not 200 at once (a burst that queues, delays and holds memory).
      const byLink = new Map<ModbusLink, Entry[]>();
      for (const e of entries.values()) {
        const group = byLink.get(e.link);
        if (group) group.push(e);
        else byLink.set(e.link, [e]);
      }
      for (const group of byLink.values()) {
        for (const [i, e] of group.entries())
          e.poller.start(Math.floor((i * e.device.intervalMs) / group.length));
      }
    },
    async close() {
      // Let polls on the wire finish and deliver their readings (bounded: a device that is timing
      // out is not waited for), then close the links.
      const settled = Promise.all([...entries.values()].map((e) => e.poller.stop()));
      await Promise.race([settled, delay(CLOSE_GRACE_MS)]);
      await Promise.all([...links.values()].map((l) => l.close()));
    },
    deviceIds: () => [...entries.keys()],
    devices: (): DeviceView[] =>
      [...entries.values()].map((e) => ({
        driver: e.device.driver,
        health: e.poller.health,
        errors: e.poller.errorCounts,
      })),
    channels: (): ChannelView[] =>
      [...links.values()].map((l) => {
        const s = l.stats();
        return { driver: s.kind, channel: s.link, counters: linkCounters(s) };
      }),
    async command(deviceId, command, value) {
      const e = entries.get(deviceId);
      if (!e) throw new GridlinkError('GL_COMMAND_INVALID', `no Modbus device ${deviceId}`);
      const write = commandWrite(e.profile, command, value, e.device.unitId, e.device.timeoutMs);
      await e.link.write(write);
    },
  };
}

/** A link's counters under their wire names (snake_case, docs/WIRE.md "Edge status"). */
export function linkCounters(s: LinkStats): Record<string, number> {
  return {
    transactions: s.transactions,
    ok: s.ok,
    timeouts: s.timeouts,
    crc_errors: s.crcErrors,
    exceptions: s.exceptions,
    bad_frames: s.badFrames,
    latency_ms_total: s.latencyMsTotal,
    queue_depth: s.queueDepth,
    in_flight: s.inFlight,
  };
}

/** The pollers of a Modbus driver's devices, for tests and tools that drive polls by hand. */
export type { DevicePoller };
