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
import { createTcpJsonMeterDriver } from './tcp-json-meter-driver.js';
import type { Driver, DriverContext } from './types.js';
import { createUdpMeterDriver } from './udp-meter-driver.js';

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
 * push listener that is `enabled: true` (it hears unknown meters for provisioning).
 */
export function createDrivers(config: EdgeConfig, ctx: DriverContext): Driver[] {
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
  if (opens(config.udp, udp.length))
    drivers.push(
      createUdpMeterDriver({
        ...ctx,
        devices: udp,
        listener: config.udp,
        zone: config.udp.localTimeOffsetMinutes ?? config.timeZone,
      }),
    );
  const tcp = devices.filter((d): d is TcpJsonMeterDeviceConfig => d.driver === 'tcp-json-meter');
  if (opens(config.tcpJson, tcp.length))
    drivers.push(
      createTcpJsonMeterDriver({
        ...ctx,
        devices: tcp,
        listener: config.tcpJson,
        zone: config.tcpJson.localTimeOffsetMinutes ?? config.timeZone,
      }),
    );
  const keba = devices.filter((d): d is KebaUdpDeviceConfig => d.driver === 'keba-udp');
  if (keba.length > 0)
    drivers.push(createKebaUdpDriver({ ...ctx, devices: keba, listener: config.keba }));
  return drivers;
}
