import type {
  DeviceConfig,
  EdgeConfig,
  KebaUdpDeviceConfig,
  ModbusDeviceConfig,
  TcpJsonMeterDeviceConfig,
  UdpMeterDeviceConfig,
} from '../config/index.js';
import { createKebaUdpDriver } from './keba-udp-driver.js';
import { createModbusDriver } from './modbus-driver.js';
import { createTcpJsonMeterDriver, type TcpJsonMeterDriver } from './tcp-json-meter-driver.js';
import type { Driver, DriverContext } from './types.js';
import { createUdpMeterDriver, type UdpMeterDriver } from './udp-meter-driver.js';

/**
 * The devices the edge serves: its file's `devices`, then the push meters bound at the central
 * (the desired config's `provisioned` list), as devices with their driver's defaults.
 */
export function servedDevices(config: EdgeConfig): DeviceConfig[] {
  const provisioned = config.provisioned.map((p): DeviceConfig => {
    if (p.driver === 'udp-meter') {
      const d: UdpMeterDeviceConfig = {
        id: p.id,
        driver: 'udp-meter',
        meterId: p.meterId,
        valueName: 'energy_interval',
      };
      return p.cpf === undefined ? d : { ...d, cpf: p.cpf };
    }
    return { id: p.id, driver: 'tcp-json-meter', meterId: p.meterId, valueName: 'energy_import' };
  });
  return [...config.devices, ...provisioned];
}

/**
 * One driver per kind of device served; kinds with no devices get none (no open ports), except a
 * push listener that is `enabled: true` (it hears unknown meters for provisioning). A push driver
 * in `running` whose listener settings are unchanged is kept (retargeted in place, already
 * started): its socket, port and connections stay; every other driver returned is new.
 */
export function createDrivers(
  config: EdgeConfig,
  ctx: DriverContext,
  running: readonly Driver[] = [],
): Driver[] {
  const runningOf = <T>(name: string) => running.find((d) => d.name === name) as T | undefined;
  const devices = servedDevices(config);
  const drivers: Driver[] = [];
  const modbus = devices.filter(
    (d): d is ModbusDeviceConfig => d.driver === 'modbus-tcp' || d.driver === 'modbus-rtu',
  );
  if (modbus.length > 0)
    drivers.push(createModbusDriver({ ...ctx, devices: modbus, buses: config.buses }));
  const opens = (listener: { enabled?: boolean | undefined }, count: number) =>
    listener.enabled ?? count > 0;
  const udp = devices.filter((d): d is UdpMeterDeviceConfig => d.driver === 'udp-meter');
  if (opens(config.udp, udp.length)) {
    const zone = config.udp.localTimeOffsetMinutes ?? config.timeZone;
    const old = runningOf<UdpMeterDriver>('udp-meter');
    drivers.push(
      old?.retarget(config.udp, udp, zone)
        ? old
        : createUdpMeterDriver({ ...ctx, devices: udp, listener: config.udp, zone }),
    );
  }
  const tcp = devices.filter((d): d is TcpJsonMeterDeviceConfig => d.driver === 'tcp-json-meter');
  if (opens(config.tcpJson, tcp.length)) {
    const zone = config.tcpJson.localTimeOffsetMinutes ?? config.timeZone;
    const old = runningOf<TcpJsonMeterDriver>('tcp-json-meter');
    drivers.push(
      old?.retarget(config.tcpJson, tcp, zone)
        ? old
        : createTcpJsonMeterDriver({ ...ctx, devices: tcp, listener: config.tcpJson, zone }),
    );
  }
  const keba = devices.filter((d): d is KebaUdpDeviceConfig => d.driver === 'keba-udp');
  if (keba.length > 0)
    drivers.push(createKebaUdpDriver({ ...ctx, devices: keba, listener: config.keba }));
  return drivers;
}
