import {
  DEFAULT_EDGE_WINDOW,
  deepFreeze,
  formatZodIssues,
  GridlinkError,
  idSchema,
  provisionedMetersSchema,
} from '@gridlink/shared';
import { z } from 'zod';
import { DEFAULT_SINK_RETRY } from '../agent/reading-sink.js';
import { isTimeZone } from '../drivers/meter-time.js';
import {
  LOG_CACHE_BYTES,
  LOG_TAIL_CACHE_BYTES,
  LOG_WRITE_BUFFER_BYTES,
} from '../log/memory-defaults.js';
import { defaultReconnectBackoff } from '../uplink/defaults.js';

/**
 * A push meter's shared secret: printable, no spaces or commas (it may be a CSV field), 16-128
 * characters (hex, base64 and base64url keys fit).
 */
const meterSecret = z
  .string()
  .regex(/^[A-Za-z0-9._~+/=-]{16,128}$/, 'must be 16-128 of A-Z a-z 0-9 . _ ~ + / = -');

/** Poll settings every polled (Modbus) device has. */
const pollSettings = {
  id: idSchema,
  profile: z.string().min(1),
  intervalMs: z.number().int().min(100).default(5000),
  timeoutMs: z.number().int().min(10).max(60_000).default(1000),
  /** Immediate retries of a failed block within one poll (not while offline). */
  retries: z.number().int().min(0).max(5).default(1),
  /** Consecutive failed polls before the device is reported offline. */
  offlineAfter: z.number().int().min(1).default(3),
  /**
   * While offline the device is probed (one block, no retries) with a backoff that doubles from
   * `intervalMs` up to this; it comes back by itself on the first good probe.
   */
  offlineBackoffMaxMs: z.number().int().min(100).default(60_000),
  /** Unused registers a block read may span to join two fields. */
  maxGap: z.number().int().min(0).max(100).default(10),
  /** Registers per block read (Modbus Application Protocol v1.1b3 §6.3: at most 125). */
  maxRegisters: z.number().int().min(1).max(125).default(125),
};

const modbusTcpDevice = z
  .object({
    ...pollSettings,
    driver: z.literal('modbus-tcp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
    /** Modbus unit identifier (Modbus Messaging on TCP/IP §4.4.1.1): 1-247 behind a gateway, 255/0 native. */
    unitId: z.number().int().min(0).max(255).default(1),
    /**
     * Requests in flight on a native Modbus TCP device's connection. Devices sharing host:port sit
     * behind a gateway (one serial line): they must leave it at 1.
     */
    maxInFlight: z.number().int().min(1).max(16).default(1),
  })
  .strict();

const modbusRtuDevice = z
  .object({
    ...pollSettings,
    driver: z.literal('modbus-rtu'),
    /** Id of an entry in `buses`. */
    bus: idSchema,
    /** Modbus over Serial Line v1.02 §2.2: individual addresses 1-247. */
    unitId: z.number().int().min(1).max(247),
  })
  .strict();

const udpMeterDevice = z
  .object({
    id: idSchema,
    driver: z.literal('udp-meter'),
    /**
     * The meter_id the meter sends (SEEDS D: `cpf,meter_id,value,timestamp`, JSON `meterId` or
     * `id_medidor`). Seed D numbers restart at 1 per customer: a device is keyed by (cpf, meterId),
     * and a device without `cpf` by its meterId alone among the cpf-less ones (docs/EDGE.md).
     */
    meterId: z.string().min(1).max(64),
    /** When set, datagrams must carry this CPF (digits only) too; it scopes `meterId`. */
    cpf: z
      .string()
      .regex(/^\d{11}$/, 'must be 11 digits')
      .optional(),
    /**
     * When set, every datagram must carry it (JSON `"secret"`, or a fifth CSV field); a wrong or
     * missing one is refused with GL_METER_AUTH_FAILED. Compared in constant time, never logged.
     */
    secret: meterSecret.optional(),
    /** Reading value name; the original meters send the kWh consumed in the interval. */
    valueName: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/)
      .default('energy_interval'),
  })
  .strict();

const tcpJsonMeterDevice = z
  .object({
    id: idSchema,
    driver: z.literal('tcp-json-meter'),
    /** The numeric id the meter uses (SEEDS E); a meter sending `{"id":0}` is given a free one. */
    meterId: z
      .number()
      .int()
      .min(1)
      .max(2 ** 31 - 1),
    /**
     * When set, the line that binds a connection to this meter (its `{"id":N}` hello or its first
     * `/spent` line) must carry `"secret"`; wrong or missing: GL_METER_AUTH_FAILED, connection
     * closed. Compared in constant time, never logged. A `{"id":0}` carrying it binds this meter.
     */
    secret: meterSecret.optional(),
    /**
     * The meter's IP address: a `{"id":0}` from this address binds this meter when it is the only
     * free meter configured with that host (docs/PROVISIONING.md, the identity rule).
     */
    host: z.string().min(1).max(64).optional(),
    /** Reading value name; the original meters send cumulative kWh (`consumption`). */
    valueName: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/)
      .default('energy_import'),
  })
  .strict();

/**
 * A KEBA KeContact P20/P30 charger over its UDP protocol (KeContact P20/P30 UDP Programmers
 * Guide): the edge asks `report 2` and `report 3` every `intervalMs` from `host:port` and sends
 * commands there; replies are matched by sender address and port. One socket (`keba`) serves all.
 */
const kebaUdpDevice = z
  .object({
    id: idSchema,
    driver: z.literal('keba-udp'),
    /** The station's IP address (replies are matched against it). */
    host: z.string().min(1),
    /** The station's UDP port; KEBA stations listen on 7090. */
    port: z.number().int().min(1).max(65535).default(7090),
    /** KEBA's own integrations poll every 5 s or slower (keba-kecontact: at least 5 s). */
    intervalMs: z.number().int().min(100).default(5000),
    /** How long one request (report or command) waits for its answer. */
    timeoutMs: z.number().int().min(10).max(60_000).default(1000),
    /** Consecutive failed polls before the device is reported offline; it comes back by itself. */
    offlineAfter: z.number().int().min(1).default(3),
  })
  .strict();

/** One RS-485 line behind a serial port. Modbus over Serial Line v1.02 §2.5.1: 8 data bits, even parity by default. */
const busSchema = z
  .object({
    id: idSchema,
    path: z.string().min(1),
    baudRate: z
      .number()
      .int()
      .refine((b) => [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].includes(b), {
        message: 'must be one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200',
      })
      .default(9600),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    parity: z.enum(['none', 'even', 'odd']).default('even'),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    /** Silence after each transaction; default 3.5 character times (1.75 ms above 19200 baud). */
    interFrameGapMs: z.number().min(0).max(1000).optional(),
  })
  .strict();

const listenerSchema = (defaultPort: number) =>
  z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(defaultPort),
      /** Largest datagram or line accepted; longer ones are rejected with GL_PAYLOAD_TOO_LARGE. */
      maxBytes: z.number().int().min(64).max(65_507).default(1024),
      /**
       * Deprecated: a fixed offset from UTC (minutes) for zone-less wall-clock times, overriding
       * the top-level `timeZone` for this listener (no daylight saving time). Use `timeZone`.
       */
      localTimeOffsetMinutes: z.number().int().min(-720).max(840).optional(),
      /**
       * Open the listener even when no device of its kind is configured or provisioned (to hear
       * unknown meters and hold them as pending, docs/PROVISIONING.md); false: never open it.
       * Unset: open when a device of its kind exists.
       */
      enabled: z.boolean().optional(),
    })
    .strict();

const deviceSchema = z.discriminatedUnion('driver', [
  modbusTcpDevice,
  modbusRtuDevice,
  udpMeterDevice,
  tcpJsonMeterDevice,
  kebaUdpDevice,
]);

export const edgeConfigSchema = z
  .object({
    edgeId: idSchema,
    /** Where the reading log lives; created on first run. */
    dataDir: z.string().min(1).default('data/edge'),
    /**
     * The site's IANA time zone: meters' zone-less wall-clock times (both seeds' meters send
     * local time) are read in it, daylight saving time included (Intl).
     */
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as America/Bahia')
      .default('America/Bahia'),
    /**
     * Unknown push meters held as pending devices until bound at the central (docs/PROVISIONING.md):
     * at most `maxPending` of them, `maxBufferedPerDevice` readings each (crash-safe, in the
     * reading log's LevelDB). Off: unknown meters are refused (GL_METER_UNKNOWN) as before.
     */
    provisioning: z
      .object({
        enabled: z.boolean().default(true),
        maxPending: z.number().int().min(1).max(1000).default(100),
        // At most 100,000: a bound meter's buffer moves into the log in one batch, read whole.
        maxBufferedPerDevice: z.number().int().min(1).max(100_000).default(10_000),
      })
      .strict()
      .prefault({}),
    /**
     * Push meters bound at the central (the desired config's `provisioned` list): served like
     * `devices`; ids and meter ids must not collide with those.
     */
    provisioned: provisionedMetersSchema.default([]),
    /** Bumped by the central's remote configuration; reported back in status. */
    configVersion: z.number().int().min(0).default(0),
    mqtt: z
      .object({
        url: z.string().regex(/^mqtts?:\/\/.+/, 'must be an mqtt:// or mqtts:// URL'),
        username: z.string().min(1).optional(),
        password: z.string().min(1),
        keepaliveS: z.number().int().min(5).max(3600).default(30),
      })
      .strict(),
    log: z
      .object({
        /** fsync each group commit: survives power loss, costs a disk flush per poll cycle. */
        sync: z.boolean().default(true),
        maxBytes: z
          .number()
          .int()
          .min(1024 * 1024)
          .default(256 * 1024 * 1024),
        maxAgeDays: z.number().min(1).default(30),
        /** LevelDB block cache and memtable (native memory); small suits a Pi (docs/EDGE.md). */
        cacheBytes: z
          .number()
          .int()
          .min(0)
          .max(256 * 1024 * 1024)
          .default(LOG_CACHE_BYTES),
        writeBufferBytes: z
          .number()
          .int()
          .min(64 * 1024)
          .max(256 * 1024 * 1024)
          .default(LOG_WRITE_BUFFER_BYTES),
        /** The newest readings in memory (V8 heap) for the uplink; 0 = always read LevelDB. */
        tailCacheBytes: z
          .number()
          .int()
          .min(0)
          .max(64 * 1024 * 1024)
          .default(LOG_TAIL_CACHE_BYTES),
        /**
         * A group commit the log refuses is retried this way; when every attempt fails its
         * readings are counted as dropped and reported (docs/EDGE.md, "Reading log failures").
         */
        appendRetry: z
          .object({
            attempts: z.number().int().min(1).max(100).default(DEFAULT_SINK_RETRY.attempts),
            initialDelayMs: z
              .number()
              .int()
              .min(1)
              .max(60_000)
              .default(DEFAULT_SINK_RETRY.initialDelayMs),
            maxDelayMs: z.number().int().min(1).max(600_000).default(DEFAULT_SINK_RETRY.maxDelayMs),
          })
          .strict()
          .refine((r) => r.maxDelayMs >= r.initialDelayMs, {
            message: 'maxDelayMs must be >= initialDelayMs',
            path: ['maxDelayMs'],
          })
          .prefault({}),
      })
      .strict()
      .prefault({}),
    uplink: z
      .object({
        // Each batch costs a fixed part at both ends (a log read, a publish, a decode, a
        // transaction): 5,000 readings a batch (~1.1 MB of JSON) drained a backlog 6-7 % faster
        // than 2,000 on both databases in the forward bench's alternating passes
        // (docs/BENCHMARKS.md, forward). Within the central's default 4 MiB payload limit.
        maxReadings: z.number().int().min(1).max(5000).default(5000),
        maxBytes: z
          .number()
          .int()
          .min(4096)
          .default(2 * 1024 * 1024),
        maxDelayMs: z.number().int().min(0).default(1000),
        // The central acks a merged group at once (group commit), emptying the window: 8 keeps it
        // fed while the edge refills (drain 35k/s at 4, 46k/s at 8, 38k/s at 16; BENCHMARKS.md).
        window: z.number().int().min(1).max(64).default(8),
        resendAfterMs: z.number().int().min(100).default(10_000),
        /** gzip each batch when smaller (metered or slow links); costs edge CPU (docs/WIRE.md). */
        compression: z.enum(['none', 'gzip']).default('none'),
        /**
         * Reconnect backoff (exponential with jitter, from initialMs to maxMs), also after the
         * broker refused the CONNECT (a wrong password is retried forever, warned each time).
         */
        reconnect: z
          .object({
            initialMs: z.number().int().min(1).default(defaultReconnectBackoff.initialMs),
            maxMs: z.number().int().min(1).default(defaultReconnectBackoff.maxMs),
          })
          .strict()
          .refine((r) => r.maxMs >= r.initialMs, {
            message: 'maxMs must be >= initialMs',
            path: ['maxMs'],
          })
          .prefault({}),
      })
      .strict()
      .prefault({}),
    statusIntervalMs: z.number().int().min(1000).default(30_000),
    buses: z.array(busSchema).default([]),
    /** Listener for UDP meters (SEEDS D); used when a `udp-meter` device is configured. */
    udp: listenerSchema(8080).prefault({}),
    /** Listener for TCP JSON meters (SEEDS E); used when a `tcp-json-meter` device is configured. */
    tcpJson: listenerSchema(9000)
      .extend({
        /**
         * Open connections at most; a newcomer past it is answered GL_CONNECTION_LIMIT and
         * closed. At least the number of `tcp-json-meter` devices (checked).
         */
        maxConnections: z.number().int().min(1).max(10_000).default(256),
        /**
         * A connection that sends no usable line (an answered hello or a stored reading) for this
         * long is closed, and the meter id it held is free again. Above the meters' send interval.
         */
        idleTimeoutMs: z.number().int().min(100).max(86_400_000).default(60_000),
      })
      .strict()
      .prefault({}),
    /**
     * The one UDP socket of all `keba-udp` chargers: requests leave from it and answers arrive on
     * it. A station answers to port 7090 whatever port asked (evcc's keba listener notes this),
     * so the default is 7090; it binds every interface, since the stations are on the LAN.
     */
    keba: z
      .object({
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(7090),
        /** Largest datagram accepted; KEBA reports are under 512 bytes. */
        maxBytes: z.number().int().min(64).max(65_507).default(1024),
        /**
         * Pause after each answer before the next datagram to the same station, ms. The UDP guide
         * asks for 100 ms between commands (keba-kecontact sleeps 100 ms after every send).
         */
        pauseMs: z.number().int().min(0).max(10_000).default(100),
      })
      .strict()
      .prefault({}),
    /**
     * The plausibility window every reading must fall in before it enters the log (docs/EDGE.md,
     * "Reading window"): not before `notBefore` (UTC midnight), not more than
     * `maxFutureSkewSeconds` past the edge's clock, every value a finite number. Local only: a
     * remote config cannot set it.
     */
    readings: z
      .object({
        notBefore: z
          .string()
          .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
          .refine((d) => {
            const t = Date.parse(`${d}T00:00:00Z`);
            return Number.isFinite(t) && t >= 0 && new Date(t).toISOString().startsWith(d);
          }, 'must be a real date from 1970-01-01 on')
          .default(new Date(DEFAULT_EDGE_WINDOW.notBeforeMs).toISOString().slice(0, 10)),
        maxFutureSkewSeconds: z
          .number()
          .int()
          .min(0)
          .max(86_400)
          .default(DEFAULT_EDGE_WINDOW.maxFutureSkewMs / 1000),
        /** A rejected reading is logged once per device and reason per interval (counted always). */
        logIntervalSeconds: z.number().int().min(1).max(86_400).default(60),
      })
      .strict()
      .prefault({}),
    /** Local Prometheus endpoint; off unless enabled, loopback unless told otherwise. */
    metrics: z
      .object({
        enabled: z.boolean().default(false),
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9464),
      })
      .strict()
      .prefault({}),
    devices: z.array(deviceSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.devices.forEach((d, i) => {
      if (seen.has(d.id))
        ctx.addIssue({
          code: 'custom',
          path: ['devices', i, 'id'],
          message: `duplicate device id ${d.id}`,
        });
      seen.add(d.id);
    });
    checkLinks(c, ctx);
    checkProvisioned(c, ctx);
  });

type Parsed = {
  buses: z.output<typeof busSchema>[];
  devices: z.output<typeof deviceSchema>[];
  tcpJson: { maxConnections: number };
};

/** Cross-references: buses exist, unit ids and meter ids are unique where they must be. */
function checkLinks(c: Parsed, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  const busIds = new Set<string>();
  const paths = new Set<string>();
  c.buses.forEach((b, i) => {
    if (busIds.has(b.id)) issue(['buses', i, 'id'], `duplicate bus id ${b.id}`);
    if (paths.has(b.path)) issue(['buses', i, 'path'], `${b.path} is already bus of another id`);
    busIds.add(b.id);
    paths.add(b.path);
  });
  const units = new Map<string, string>();
  const tcpLinks = new Map<string, { ids: string[]; wantsMany: number[] }>();
  const meterIds = new Map<string, string>();
  c.devices.forEach((d, i) => {
    if (d.driver === 'modbus-rtu') {
      if (!busIds.has(d.bus))
        issue(
          ['devices', i, 'bus'],
          `no bus "${d.bus}" in buses (have: ${[...busIds].join(', ') || 'none'})`,
        );
      const key = `${d.bus}/${d.unitId}`;
      const other = units.get(key);
      if (other)
        issue(['devices', i, 'unitId'], `unit ${d.unitId} on bus ${d.bus} is already ${other}`);
      units.set(key, d.id);
    } else if (d.driver === 'modbus-tcp') {
      const key = `${d.host}:${d.port}`;
      const other = units.get(`${key}/${d.unitId}`);
      if (other) issue(['devices', i, 'unitId'], `unit ${d.unitId} at ${key} is already ${other}`);
      units.set(`${key}/${d.unitId}`, d.id);
      const link = tcpLinks.get(key) ?? { ids: [], wantsMany: [] };
      link.ids.push(d.id);
      if (d.maxInFlight > 1) link.wantsMany.push(i);
      tcpLinks.set(key, link);
    } else if (d.driver === 'keba-udp') {
      // Answers are told apart by sender address and port only: two devices there are one.
      const key = `keba/${d.host}:${d.port}`;
      const other = meterIds.get(key);
      if (other) issue(['devices', i, 'host'], `${d.host}:${d.port} is already ${other}`);
      meterIds.set(key, d.id);
    } else {
      const key = pushMeterKey(d);
      const other = meterIds.get(key);
      if (other)
        issue(
          ['devices', i, 'meterId'],
          `meter id ${d.meterId}${d.driver === 'udp-meter' && d.cpf ? ` of CPF ${d.cpf}` : ''} is already ${other}`,
        );
      meterIds.set(key, d.id);
    }
  });
  const tcpMeters = c.devices.filter((d) => d.driver === 'tcp-json-meter').length;
  if (tcpMeters > c.tcpJson.maxConnections)
    issue(
      ['tcpJson', 'maxConnections'],
      `${c.tcpJson.maxConnections} is fewer than the ${tcpMeters} tcp-json-meter devices`,
    );
  for (const [key, link] of tcpLinks) {
    if (link.ids.length < 2) continue;
    for (const i of link.wantsMany)
      issue(
        ['devices', i, 'maxInFlight'],
        `devices ${link.ids.join(', ')} share ${key} (a gateway: one serial line, one transaction at a time); must be 1`,
      );
  }
}

/**
 * What identifies a push meter on its listener: a UDP meter by (cpf, meterId), or by meterId among
 * the cpf-less ones; a TCP JSON meter by its numeric id.
 */
export function pushMeterKey(
  d:
    | { driver: 'udp-meter'; meterId: string; cpf?: string | undefined }
    | { driver: 'tcp-json-meter'; meterId: number },
): string {
  return d.driver === 'udp-meter'
    ? `udp-meter/${d.cpf ?? ''}/${d.meterId}`
    : `tcp-json-meter/${d.meterId}`;
}

/** Provisioned meters: ids and meter ids collide neither with `devices` nor with each other. */
function checkProvisioned(
  c: {
    devices: z.output<typeof deviceSchema>[];
    provisioned: z.output<typeof provisionedMetersSchema>;
  },
  ctx: z.RefinementCtx,
): void {
  const ids = new Map<string, string>(c.devices.map((d) => [d.id, 'a device of the file']));
  const meters = new Map<string, string>();
  for (const d of c.devices)
    if (d.driver === 'udp-meter' || d.driver === 'tcp-json-meter')
      meters.set(pushMeterKey(d), d.id);
  c.provisioned.forEach((p, i) => {
    const taken = ids.get(p.id);
    if (taken)
      ctx.addIssue({
        code: 'custom',
        path: ['provisioned', i, 'id'],
        message: `device id ${p.id} is already ${taken}`,
      });
    ids.set(p.id, 'a provisioned meter');
    const key = pushMeterKey(p);
    const other = meters.get(key);
    if (other)
      ctx.addIssue({
        code: 'custom',
        path: ['provisioned', i, 'meterId'],
        message: `meter id ${p.meterId} is already ${other}`,
      });
    meters.set(key, p.id);
  });
}

export type EdgeConfig = z.output<typeof edgeConfigSchema>;
export type EdgeConfigInput = z.input<typeof edgeConfigSchema>;
export type DeviceConfig = EdgeConfig['devices'][number];
export type ModbusTcpDeviceConfig = Extract<DeviceConfig, { driver: 'modbus-tcp' }>;
export type ModbusRtuDeviceConfig = Extract<DeviceConfig, { driver: 'modbus-rtu' }>;
export type ModbusDeviceConfig = ModbusTcpDeviceConfig | ModbusRtuDeviceConfig;
export type UdpMeterDeviceConfig = Extract<DeviceConfig, { driver: 'udp-meter' }>;
export type TcpJsonMeterDeviceConfig = Extract<DeviceConfig, { driver: 'tcp-json-meter' }>;
export type KebaUdpDeviceConfig = Extract<DeviceConfig, { driver: 'keba-udp' }>;
export type BusConfig = EdgeConfig['buses'][number];

export function parseEdgeConfig(input: unknown, source = 'edge config'): EdgeConfig {
  const parsed = edgeConfigSchema.safeParse(input);
  if (!parsed.success)
    throw new GridlinkError('GL_CONFIG_INVALID', `${source}: ${formatZodIssues(parsed.error)}`);
  return deepFreeze(parsed.data);
}
