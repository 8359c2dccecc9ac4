import type {
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

/** One driver per kind of device in the config; kinds with no devices get none (no open ports). */
export function createDrivers(config: EdgeConfig, ctx: DriverContext): Driver[] {
  const drivers: Driver[] = [];
  const modbus = config.devices.filter(
    (d): d is ModbusDeviceConfig => d.driver === 'modbus-tcp' || d.driver === 'modbus-rtu',
  );
  if (modbus.length > 0)
    drivers.push(createModbusDriver({ ...ctx, devices: modbus, buses: config.buses }));
  const udp = config.devices.filter((d): d is UdpMeterDeviceConfig => d.driver === 'udp-meter');
  if (udp.length > 0)
    drivers.push(createUdpMeterDriver({ ...ctx, devices: udp, listener: config.udp }));
  const tcp = config.devices.filter(
    (d): d is TcpJsonMeterDeviceConfig => d.driver === 'tcp-json-meter',
  );
  if (tcp.length > 0)
    drivers.push(createTcpJsonMeterDriver({ ...ctx, devices: tcp, listener: config.tcpJson }));
  const keba = config.devices.filter((d): d is KebaUdpDeviceConfig => d.driver === 'keba-udp');
  if (keba.length > 0)
    drivers.push(createKebaUdpDriver({ ...ctx, devices: keba, listener: config.keba }));
  return drivers;
}
