import type { ClockAndTimers, DeviceHealth, ReadingRejection } from '@gridlink/shared';
import type { Logger } from 'pino';
import type { TransactionEvent } from '../modbus/index.js';
import type { DeviceErrorCounts, PolledReading } from '../poller/index.js';

/** Health of one device as a driver sees it: the wire health plus error counts by code. */
export interface DeviceView {
  driver: string;
  health: DeviceHealth;
  errors: DeviceErrorCounts;
}

/** Counters of one link (a Modbus connection or bus, a UDP or TCP listener). */
export interface ChannelView {
  driver: string;
  channel: string;
  /** Counter name → value; names are snake_case and stable (they become metric labels). */
  counters: Record<string, number>;
}

/**
 * The agent's verdict on one reading: admitted (on its way to the log), or turned down by the
 * reading window (docs/SECURITY.md, "Readings"). Counting and logging a rejection is the agent's
 * job; a push driver only answers its meter with GL_READING_INVALID.
 */
export type Admission = { ok: true } | { ok: false; reason: ReadingRejection; message: string };

/** An unknown push meter as the pending store knows it (shared `PendingDevice` keys). */
export interface PendingMeter {
  key: string;
  driver: 'udp-meter' | 'tcp-json-meter';
  cpf?: string;
  meterId: string;
  /** `address:port` it was last heard from. */
  from?: string;
}

/**
 * Where push drivers hold unknown meters (edge/src/provisioning, docs/PROVISIONING.md). Both
 * `announce` and `hold` throw GL_PENDING_FULL past the store's bounds.
 */
export interface PendingPort {
  readonly enabled: boolean;
  has(key: string): boolean;
  /** Makes `meter` pending (a TCP meter given a fresh id) without a reading. */
  announce(meter: PendingMeter): void;
  /** One reading of a pending meter: through the reading window, then buffered crash-safe. */
  hold(meter: PendingMeter, reading: Omit<PolledReading, 'deviceId'>): Admission;
  /** A TCP JSON meter id above `floor` and every id handed out before; durable when resolved. */
  freshTcpId(floor: number): Promise<number>;
}

/** What every driver gets from the agent: one options object, defaults chosen by the agent. */
export interface DriverContext {
  /**
   * A reading for the log; the driver never stores anything itself. Every reading is checked
   * against the edge's reading window here, and only an admitted one is logged.
   */
  onReading: (reading: PolledReading) => Admission;
  logger: Logger;
  /** Each finished Modbus transaction (for latency histograms). */
  onTransaction?: (event: TransactionEvent) => void;
  /** The edge's clock: reading times, poll grids and device timeouts; default the system clock. */
  clock?: ClockAndTimers;
  /** Unknown push meters are held here when given and enabled; refused otherwise. */
  pending?: PendingPort;
}

/**
 * The one interface the agent uses for every kind of device. A driver owns its links (serial
 * ports, TCP connections, listening sockets) and reports through `DriverContext`.
 */
export interface Driver {
  readonly name: string;
  /** Opens listeners and starts polling. Rejects (with a catalog code) when a port cannot be bound. */
  start(): Promise<void>;
  close(): Promise<void>;
  deviceIds(): string[];
  devices(): DeviceView[];
  channels(): ChannelView[];
  /**
   * Executes a profile's named command on one of this driver's devices, through the device's
   * link ahead of polls. Drivers whose devices take no commands omit it.
   */
  command?(deviceId: string, command: string, value: number | undefined): Promise<void>;
}
