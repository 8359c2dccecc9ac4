import ModbusSerial from 'modbus-serial';

/**
 * The modbus-serial client class. The package is CommonJS with `module.exports.default` pointing
 * at itself, which is the one spelling that type-checks under NodeNext and works at run time.
 */
export const ModbusClient = ModbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusClient>;

/** Tracks clients so a test's afterEach can close them all. */
export function modbusClients() {
  const open: ModbusClient[] = [];
  return {
    async connect(port: number, unitId: number, host = '127.0.0.1'): Promise<ModbusClient> {
      const client = new ModbusClient();
      open.push(client);
      await client.connectTCP(host, { port });
      client.setID(unitId);
      client.setTimeout(5000);
      return client;
    },
    async closeAll(): Promise<void> {
      for (const client of open.splice(0)) {
        // A connection the server dropped (a link-flap fault) never calls back: skip it.
        if (!client.isOpen) continue;
        await new Promise<void>((resolve) => client.close(() => resolve()));
      }
    },
  };
}
