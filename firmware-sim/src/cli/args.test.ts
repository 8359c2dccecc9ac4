import { describe, expect, it } from 'vitest';
import { HELP, parseCliArgs, UsageError } from './args.js';

describe('parseCliArgs', () => {
  it('has defaults for everything', () => {
    expect(parseCliArgs([])).toEqual({
      kind: 'run',
      options: {
        meters: 3,
        modbusPort: 5020,
        host: '127.0.0.1',
        portFallback: false,
        seed: 1,
        logLevel: 'warn',
      },
    });
  });

  it('reads every flag', () => {
    const argv = ['--meters', '10', '--modbus-port', '0', '--host', '0.0.0.0', '--port-fallback'];
    expect(parseCliArgs([...argv, '--seed', '4294967295', '--log-level', 'debug'])).toEqual({
      kind: 'run',
      options: {
        meters: 10,
        modbusPort: 0,
        host: '0.0.0.0',
        portFallback: true,
        seed: 4294967295,
        logLevel: 'debug',
      },
    });
    expect(parseCliArgs(['-h'])).toEqual({ kind: 'help' });
    expect(parseCliArgs(['--meters', 'x', '--help'])).toEqual({ kind: 'help' });
  });

  it('takes --log-file for the JSON logs (stderr without it)', () => {
    expect(parseCliArgs(['--log-file', 'data/logs/sim.log'])).toMatchObject({
      kind: 'run',
      options: { logFile: 'data/logs/sim.log' },
    });
    expect(() => parseCliArgs(['--log-file', ' '])).toThrow(UsageError);
    expect(HELP).toContain('--log-file');
  });

  it('documents every flag in --help', () => {
    for (const flag of [
      '--meters',
      '--modbus-port',
      '--host',
      '--port-fallback',
      '--seed',
      '--log-level',
      '--help',
    ]) {
      expect(HELP).toContain(flag);
    }
  });

  it('reads the charger and car flags', () => {
    const argv = ['--chargers', '4', '--charger-port', '5030', '--cars', '3'];
    const car = ['--car-broker', '127.0.0.1:1884', '--car-password', 'pw-{plate}'];
    expect(parseCliArgs([...argv, ...car, '--car-interval-ms', '2000'])).toMatchObject({
      kind: 'run',
      options: {
        chargers: 4,
        chargerPort: 5030,
        cars: 3,
        carBroker: { host: '127.0.0.1', port: 1884 },
        carPassword: 'pw-{plate}',
        carIntervalMs: 2000,
      },
    });
    for (const flag of [
      '--chargers',
      '--charger-port',
      '--cars',
      '--car-broker',
      '--car-password',
      '--car-interval-ms',
    ]) {
      expect(HELP).toContain(flag);
    }
  });

  it('reads the journey client flags', () => {
    const cmd = parseCliArgs(['--journey-clients', '150', '--journey-target', '127.0.0.1:8889']);
    expect(cmd).toMatchObject({
      kind: 'run',
      options: { journeyClients: 150, journeyTarget: { host: '127.0.0.1', port: 8889 } },
    });
  });

  it('reads the KEBA flags', () => {
    const argv = ['--keba-chargers', '2', '--keba-transport', 'modbus-tcp', '--keba-port', '7090'];
    expect(parseCliArgs([...argv, '--keba-vehicle'])).toMatchObject({
      kind: 'run',
      options: { kebaChargers: 2, kebaTransport: 'modbus-tcp', kebaPort: 7090, kebaVehicle: true },
    });
    for (const flag of ['--keba-chargers', '--keba-transport', '--keba-port', '--keba-vehicle'])
      expect(HELP).toContain(flag);
    expect(HELP).toContain('garbage-reply');
  });

  it.each([
    [['--keba-transport', 'tcp'], /--keba-transport must be udp or modbus-tcp, got "tcp"/],
    [['--scenario', 'f.yaml', '--keba-chargers', '1'], /--scenario excludes --keba-chargers/],
    [['--cars', '2'], /--cars needs --car-broker HOST:PORT and --car-password/],
    [['--cars', '2', '--car-broker', '127.0.0.1:1883'], /--cars needs/],
    [['--journey-clients', '5'], /--journey-clients needs --journey-target HOST:PORT/],
    [
      ['--scenario', 'f.yaml', '--journey-clients', '1', '--journey-target', 'h:1'],
      /--scenario excludes --journey-clients/,
    ],
    [['--chargers', '0'], /--chargers must be an integer 1-100000/],
    [['--scenario', 'f.yaml', '--chargers', '1'], /--scenario excludes --chargers/],
    [['--meters', '0'], /--meters must be an integer 1-247, got "0"/],
    [['--meters', '248'], /--meters/],
    [['--meters', '2.5'], /--meters/],
    [['--meters', '-1'], /--meters/],
    [['--meters'], /--meters/], // missing value
    [['--modbus-port', '65536'], /--modbus-port must be an integer 0-65535/],
    [['--modbus-port', 'http'], /--modbus-port/],
    [['--seed', 'abc'], /--seed/],
    [['--seed', '1e3'], /--seed/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--host', ''], /--host must not be empty/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['meters'], /Unexpected argument 'meters'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
