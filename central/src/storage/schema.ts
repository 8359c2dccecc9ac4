import type { ColumnType, Generated } from 'kysely';

/** Bigints come back as strings from node-postgres; callers convert with Number(). */
type Int8 = ColumnType<string | number, number | bigint, number | bigint>;
type Int8Default = ColumnType<string | number, number | bigint | undefined, number | bigint>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<
  Date | null,
  Date | string | null | undefined,
  Date | string | null
>;

export interface EdgesTable {
  id: string;
  secret_hash: string;
  created_at: Timestamp;
  last_seen_at: NullableTimestamp;
  status: unknown | null;
  /** The pending meters of the edge's last status that listed them (migration 0013). */
  pending: ColumnType<unknown, string | undefined, string>;
  pending_at: NullableTimestamp;
}

export interface ApiTokensTable {
  id: string;
  token_hash: string;
  role: string;
  subject: string | null;
  label: string | null;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface MetersTable {
  id: Generated<number>;
  edge_id: string;
  device_id: string;
  customer_id: number | null;
  created_at: Timestamp;
}

/** One device an edge reported (migration 0009); `kind` is fixed when it is first seen. */
export interface DevicesTable {
  id: Generated<number>;
  edge_id: string;
  device_id: string;
  kind: 'meter' | 'charger' | 'car' | 'other';
  driver: string | null;
  profile: string | null;
  first_seen_at: Timestamp;
  last_reported_at: NullableTimestamp;
  last_ok_at: NullableTimestamp;
  online: boolean | null;
}

/** One log instance of one edge: the high-water mark of exactly-once ingest. */
export interface IngestStreamsTable {
  id: Generated<number>;
  edge_id: string;
  epoch: string;
  up_to: Int8Default;
  dropped: Int8Default;
  /** Readings of this stream set aside at ingest (ingest_quarantine rows). */
  quarantined: Int8Default;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Seq ranges that the edge dropped (log full) and the central therefore never received. */
export interface IngestGapsTable {
  id: Generated<number>;
  stream_id: number;
  from_seq: Int8;
  to_seq: Int8;
  reported_dropped: Int8;
  created_at: Timestamp;
}

/** A reading of a valid batch that failed the reading check, kept under its seq. */
export interface IngestQuarantineTable {
  id: Generated<number>;
  stream_id: number;
  seq: Int8;
  device_id: string | null;
  reason: string;
  message: string;
  raw: string;
  raw_bytes: number;
  received_at: Timestamp;
}

export interface ReadingsTable {
  stream_id: number;
  seq: Int8;
  /** The meter, or null for a reading of a device that is not a meter (then `device_ref`). */
  meter_id: number | null;
  device_ref: ColumnType<number | null, number | null | undefined, number | null>;
  ts: Timestamp;
  quality: string;
  values: ColumnType<Record<string, number>, string, string>;
}

export interface CustomersTable {
  id: Generated<number>;
  document: string;
  document_kind: 'cpf' | 'cnpj';
  name: string;
  time_zone: ColumnType<string, string | undefined, string>;
  connection: ColumnType<string, string | undefined, string>;
  tariff_class: ColumnType<string, string | undefined, string>;
  /** A tariff as billing/tariffs `tariffSchema` input; written as JSON text. */
  tariff: ColumnType<unknown | null, string | null | undefined, string | null>;
  monthly_limit_wh: ColumnType<string | number | null, number | null | undefined, number | null>;
  password_hash: string | null;
  created_at: Timestamp;
}

export interface ConsumptionHourlyTable {
  meter_id: number;
  hour: Timestamp;
  wh: Int8;
}

/** Hours start_hour ≤ h < end_hour each with wh_per_hour Wh (long gaps; see 0006). */
export interface ConsumptionRunsTable {
  meter_id: number;
  start_hour: Timestamp;
  end_hour: Timestamp;
  wh_per_hour: Int8;
}

export interface MeterRollupStateTable {
  meter_id: number;
  last_ts: NullableTimestamp;
  last_wh: ColumnType<string | number | null, number | null | undefined, number | null>;
  last_values: ColumnType<Record<string, number> | null, string | null | undefined, string | null>;
  updated_at: Timestamp;
}

export interface MeterRegisterEventsTable {
  id: Generated<number>;
  meter_id: number;
  ts: Timestamp;
  previous_wh: Int8;
  new_wh: Int8;
  created_at: Timestamp;
}

/** Civil dates: written as `YYYY-MM-DD`; read them with `::text` (a JS Date would shift them). */
type CivilDate = ColumnType<unknown, string, string>;

export interface InvoicesTable {
  id: Generated<number>;
  meter_id: number;
  customer_id: number;
  period_start: CivilDate;
  period_end: CivilDate;
  time_zone: string;
  tariff_id: string;
  consumption_wh: Int8;
  billed_wh: Int8;
  lines: ColumnType<unknown, string, string>;
  totals: ColumnType<unknown, string, string>;
  total_centavos: Int8;
  due_date: CivilDate;
  pix_payload: string | null;
  status: ColumnType<string, string | undefined, string>;
  issued_at: Timestamp;
  /**
   * Gapless per series (`2026-000001`); invoices issued before migration 0015 keep their id.
   * NULL only for rows written outside the close (test fixtures): shown as the id.
   */
  number: ColumnType<string | null, string | undefined, string>;
}

/** The last number allocated per invoice series (migration 0015). */
export interface InvoiceSeriesTable {
  series: string;
  last_number: number;
}

export interface JobRunsTable {
  job: string;
  slot: string;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  result: ColumnType<unknown | null, string | null | undefined, string | null>;
  /** Migration 0014 (docs/JOBS.md): a lease per (job, slot). */
  status: ColumnType<string, string | undefined, string>;
  owner: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: NullableTimestamp;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: NullableTimestamp;
}

/** Billing periods due to be closed, and when each was (migration 0014). */
export interface BillingClosesTable {
  period: string;
  due_at: Timestamp;
  closed_at: NullableTimestamp;
  result: ColumnType<unknown | null, string | null | undefined, string | null>;
}

export interface AlarmsTable {
  id: Generated<number>;
  source: string;
  type: string;
  severity: string;
  state: string;
  customer_id: number | null;
  details: ColumnType<Record<string, unknown>, string, string>;
  occurrences: ColumnType<number, number | undefined, number>;
  raised_at: Timestamp;
  last_seen_at: Timestamp;
  acked_at: NullableTimestamp;
  acked_by: string | null;
  cleared_at: NullableTimestamp;
  cleared_by: string | null;
}

/** Login throttling per account and per source address (auth/login-throttle). */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  last_attempt_at: NullableTimestamp;
  blocked_until: NullableTimestamp;
  forget_at: Timestamp;
}

/** An MQTT credential of a car, station client, operator subscriber or peer (edges: `edges`). */
export interface MqttCredentialsTable {
  kind: string;
  name: string;
  secret_hash: string;
  created_at: Timestamp;
  rotated_at: Timestamp;
}

export interface AlarmCursorsTable {
  name: string;
  last_id: Int8;
}

/** A device command sent through the control plane (control/). */
export interface DeviceCommandsTable {
  seq: Generated<number>;
  id: string;
  edge_id: string;
  device_id: string;
  command: string;
  value: number | null;
  requested_by: string;
  requested_at: Timestamp;
  state: string;
  sent_at: NullableTimestamp;
  result_code: string | null;
  result_message: string | null;
  result_at: NullableTimestamp;
  edge_result_at: NullableTimestamp;
}

/** Each desired config version set for an edge (control/). */
export interface EdgeDesiredConfigsTable {
  edge_id: string;
  version: number;
  config: ColumnType<Record<string, unknown>, string, string>;
  set_by: string;
  set_at: Timestamp;
  published_at: NullableTimestamp;
}

/** The last `config/applied` an edge reported (control/). */
export interface EdgeAppliedConfigsTable {
  edge_id: string;
  version: number;
  ok: boolean;
  running: number;
  error_code: string | null;
  error_message: string | null;
  edge_at: NullableTimestamp;
  received_at: Timestamp;
}

/** One-time set-up steps done (auth/bootstrap). */
export interface CentralBootstrapTable {
  name: string;
  done_at: Timestamp;
}

/** A charge point operator (migration 0017). */
export interface EvCompaniesTable {
  id: string;
  name: string;
  default_tariff: ColumnType<unknown | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

/** A charging station: a place with one or more charging points (migration 0017). */
export interface EvStationsTable {
  id: Int8Default;
  company_id: string;
  external_id: string;
  name: string;
  address: string | null;
  latitude: number;
  longitude: number;
  time_zone: ColumnType<string, string | undefined, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** The live states of a charging point (OCPP 1.6 ChargePointStatus names), 'unknown' before any. */
export type EvPointState =
  | 'available'
  | 'preparing'
  | 'charging'
  | 'finishing'
  | 'reserved'
  | 'faulted'
  | 'unavailable'
  | 'unknown';

/** A charging point (one vehicle at a time; an OCPI EVSE), optionally bound to a charger device. */
export interface EvPointsTable {
  id: Int8Default;
  station_id: Int8;
  external_id: string;
  name: string;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  maintenance: ColumnType<boolean, boolean | undefined, boolean>;
  maintenance_reason: string | null;
  maintenance_by: string | null;
  maintenance_at: NullableTimestamp;
  tariff: ColumnType<unknown | null, string | null | undefined, string | null>;
  edge_id: string | null;
  device_id: string | null;
  state: ColumnType<EvPointState, EvPointState | undefined, EvPointState>;
  state_at: NullableTimestamp;
  fault_code: number | null;
  power_w: number | null;
  session_energy_wh: ColumnType<string | number | null, number | null | undefined, number | null>;
  energy_total_wh: ColumnType<string | number | null, number | null | undefined, number | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** One connector of a charging point (migration 0017). */
export interface EvConnectorsTable {
  id: Int8Default;
  point_id: Int8;
  connector_no: number;
  standard: 'type1' | 'type2' | 'ccs1' | 'ccs2' | 'chademo' | 'gbt_ac' | 'gbt_dc';
  power_type: 'ac' | 'dc';
  max_power_w: number;
}

/** A driver: signs in with its CPF/CNPJ and password, owns cars (migration 0018). */
export interface EvDriversTable {
  id: Int8Default;
  document: string;
  name: string;
  email: string | null;
  password_hash: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A car by plate, its owner and its last report (migration 0018). */
export interface EvCarsTable {
  plate: string;
  driver_id: ColumnType<string | number | null, number | null | undefined, number | null>;
  model: string | null;
  battery_kwh: number | null;
  consumption_kwh_per_km: number | null;
  last_battery_pct: number | null;
  last_charging: boolean | null;
  last_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Every report of a car, `carros/{placa}/status` or `/bateria` (migration 0018). */
export interface EvCarStatesTable {
  id: Int8Default;
  plate: string;
  ts: Timestamp;
  source: 'status' | 'bateria';
  battery_pct: number;
  charging: boolean;
  energy_kwh: number | null;
  range_km: number | null;
  power_kw: number | null;
  received_at: Timestamp;
}

/** Reservation states (migration 0019, docs/EV.md "Reservations"): OCPI 2.3 Bookings + EXPIRED, COMPLETED. */
export type EvReservationState =
  | 'PENDING'
  | 'RESERVED'
  | 'FULFILLED'
  | 'COMPLETED'
  | 'CANCELED'
  | 'NO_SHOW'
  | 'EXPIRED'
  | 'REJECTED'
  | 'FAILED';

/** A booking of one charging point for a time slot (migration 0019). */
export interface EvReservationsTable {
  id: Int8Default;
  point_id: Int8;
  plate: string | null;
  driver_id: ColumnType<string | number | null, number | null | undefined, number | null>;
  /** tstzrange `[start,end)`, as PostgreSQL prints it; written with sql`tstzrange(...)`. */
  period: string;
  state: EvReservationState;
  hold_expires_at: NullableTimestamp;
  terms: ColumnType<unknown, string, string>;
  cancel_reason: string | null;
  canceled_by: string | null;
  flagged_reason: string | null;
  flagged_at: NullableTimestamp;
  fee: string | null;
  authorized_at: NullableTimestamp;
  charger_reserved_at: NullableTimestamp;
  charger_released_at: NullableTimestamp;
  request_id: string | null;
  source: ColumnType<string, string | undefined, string>;
  created_at: ColumnType<Date, Date, Date>;
  updated_at: ColumnType<Date, Date, Date>;
}

/** Every state change of a reservation, who and why (migration 0019). */
export interface EvReservationTransitionsTable {
  id: Int8Default;
  reservation_id: Int8;
  from_state: EvReservationState | null;
  to_state: EvReservationState;
  reason: string | null;
  who: string;
  at: ColumnType<Date, Date, Date>;
}

/** The states of a charging session (migration 0020). */
export type EvSessionState = 'active' | 'finished' | 'priced' | 'void';

type NullableInt8 = ColumnType<string | number | null, number | null | undefined, number | null>;

/** A charging session of one point, plug-in to unplug, priced at the end (migration 0020). */
export interface EvSessionsTable {
  id: Int8Default;
  point_id: Int8;
  plate: string | null;
  driver_id: NullableInt8;
  reservation_id: NullableInt8;
  state: EvSessionState;
  started_at: ColumnType<Date, Date, Date>;
  charging_started_at: NullableTimestamp;
  charging_stopped_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  energy_start_wh: NullableInt8;
  energy_end_wh: NullableInt8;
  session_energy_wh: NullableInt8;
  energy_wh: NullableInt8;
  max_power_w: number | null;
  samples: ColumnType<unknown, string | undefined, string>;
  last_reading_at: ColumnType<Date, Date, Date>;
  started_by: string;
  stopped_by: string | null;
  tariff: ColumnType<unknown, string, string>;
  time_zone: string;
  price: ColumnType<unknown | null, string | null | undefined, string | null>;
  total_centavos: NullableInt8;
  pix_txid: string | null;
  pix_payload: string | null;
  paid_at: NullableTimestamp;
  end_reason: string | null;
  created_at: ColumnType<Date, Date, Date>;
  updated_at: ColumnType<Date, Date, Date>;
}

/** A remote start asked for a point, waiting for its session (migration 0020). */
export interface EvSessionStartsTable {
  point_id: Int8;
  plate: string;
  driver_id: NullableInt8;
  reservation_id: NullableInt8;
  requested_by: string;
  requested_at: ColumnType<Date, Date, Date>;
  expires_at: ColumnType<Date, Date, Date>;
  command_id: string | null;
}

/** A trip plan (migration 0021): what was asked and the planner's answer. */
export interface EvTripsTable {
  id: Int8Default;
  driver_id: NullableInt8;
  plate: string | null;
  created_by: string;
  replaces_id: NullableInt8;
  depart_at: ColumnType<Date, Date, Date>;
  arrive_at: ColumnType<Date, Date, Date>;
  total_ms: Int8;
  booked: ColumnType<boolean, boolean | undefined, boolean>;
  request: ColumnType<unknown, string, string>;
  plan: ColumnType<unknown, string, string>;
  created_at: ColumnType<Date, Date, Date>;
  /** The federated transaction that booked it (migration 0023). */
  fed_tx_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * One charging stop of a trip, with its booking when the trip was booked (migration 0021). A
 * stop at a peer (migration 0023) has no local station: `peer` and the peer's ids say where.
 */
export interface EvTripStopsTable {
  trip_id: Int8;
  seq: number;
  station_id: NullableInt8;
  peer: ColumnType<string | null, string | null | undefined, string | null>;
  remote_station_id: NullableInt8;
  remote_point_id: NullableInt8;
  remote_reservation_id: NullableInt8;
  arrive_at: ColumnType<Date, Date, Date>;
  charge_from: ColumnType<Date, Date, Date>;
  depart_at: ColumnType<Date, Date, Date>;
  arrival_soc_pct: number;
  departure_soc_pct: number;
  point_id: NullableInt8;
  reservation_id: NullableInt8;
}

/** "Tell me when it is free": a one-shot watch of a point or a station (migration 0021). */
export interface EvAvailabilityWatchesTable {
  id: Int8Default;
  driver_id: NullableInt8;
  created_by: string;
  plate: string | null;
  point_id: NullableInt8;
  station_id: NullableInt8;
  created_at: ColumnType<Date, Date, Date>;
  expires_at: ColumnType<Date, Date, Date>;
  notified_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  notified_point_id: NullableInt8;
}

type Ts = ColumnType<Date, Date, Date>;
type NullableTs = ColumnType<Date | null, Date | null | undefined, Date | null>;
type NullableText = ColumnType<string | null, string | null | undefined, string | null>;

/** The participant's TCC fence log (migration 0022, docs/FEDERATION.md). */
export interface FedBranchesTable {
  coordinator: string;
  tx_id: string;
  branch_id: string;
  state: 'tried' | 'committed' | 'rolled_back' | 'suspended' | 'compensated';
  point_id: NullableInt8;
  /** tstzrange as text. */
  period: NullableText;
  plate: NullableText;
  reservation_id: NullableInt8;
  hold_expires_at: NullableTs;
  trip: ColumnType<unknown, string | undefined, string>;
  reason: NullableText;
  created_at: Ts;
  updated_at: Ts;
}

export type FedTransactionState =
  | 'trying'
  | 'confirming'
  | 'confirmed'
  | 'canceling'
  | 'canceled'
  | 'compensating'
  | 'failed';

/** The coordinator's decision log (migration 0023, docs/FEDERATION.md). */
export interface FedTransactionsTable {
  id: string;
  trip_id: NullableInt8;
  state: FedTransactionState;
  hold_until: Ts;
  decided_at: NullableTs;
  finished_at: NullableTs;
  reason: NullableText;
  created_by: string;
  created_at: Ts;
  updated_at: Ts;
}

export type FedTxBranchState = 'pending' | 'tried' | 'try_failed' | 'confirmed' | 'canceled';

/** One stop of a federated transaction, at the coordinator (migration 0023). */
export interface FedTxBranchesTable {
  tx_id: string;
  branch_id: string;
  /** null: this central (the local participant). */
  peer: NullableText;
  company_id: string;
  station_id: Int8;
  point_id: Int8;
  /** tstzrange as text. */
  period: string;
  state: FedTxBranchState;
  reservation_id: NullableInt8;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: NullableTs;
  last_error: NullableText;
  updated_at: Ts;
}

/** A peer's charging point, copied from its catalog for planning (migration 0023). */
export interface FedRemotePointsTable {
  peer: string;
  company_id: string;
  station_id: Int8;
  station_name: string;
  latitude: number;
  longitude: number;
  point_id: Int8;
  point_name: string;
  usable: boolean;
  state: string;
  power_kw: number;
  price: ColumnType<unknown, string | null | undefined, string | null>;
  busy: ColumnType<unknown, string | undefined, string>;
  synced_at: Ts;
}

export interface Schema {
  edges: EdgesTable;
  api_tokens: ApiTokensTable;
  meters: MetersTable;
  devices: DevicesTable;
  ingest_streams: IngestStreamsTable;
  ingest_gaps: IngestGapsTable;
  ingest_quarantine: IngestQuarantineTable;
  readings: ReadingsTable;
  customers: CustomersTable;
  consumption_hourly: ConsumptionHourlyTable;
  consumption_runs: ConsumptionRunsTable;
  meter_rollup_state: MeterRollupStateTable;
  meter_register_events: MeterRegisterEventsTable;
  invoices: InvoicesTable;
  job_runs: JobRunsTable;
  billing_closes: BillingClosesTable;
  invoice_series: InvoiceSeriesTable;
  alarms: AlarmsTable;
  alarm_cursors: AlarmCursorsTable;
  login_throttle: LoginThrottleTable;
  mqtt_credentials: MqttCredentialsTable;
  device_commands: DeviceCommandsTable;
  edge_desired_configs: EdgeDesiredConfigsTable;
  edge_applied_configs: EdgeAppliedConfigsTable;
  central_bootstrap: CentralBootstrapTable;
  ev_companies: EvCompaniesTable;
  ev_stations: EvStationsTable;
  ev_points: EvPointsTable;
  ev_connectors: EvConnectorsTable;
  ev_drivers: EvDriversTable;
  ev_cars: EvCarsTable;
  ev_car_states: EvCarStatesTable;
  ev_reservations: EvReservationsTable;
  ev_reservation_transitions: EvReservationTransitionsTable;
  ev_sessions: EvSessionsTable;
  ev_session_starts: EvSessionStartsTable;
  ev_trips: EvTripsTable;
  ev_trip_stops: EvTripStopsTable;
  ev_availability_watches: EvAvailabilityWatchesTable;
  fed_branches: FedBranchesTable;
  fed_transactions: FedTransactionsTable;
  fed_tx_branches: FedTxBranchesTable;
  fed_remote_points: FedRemotePointsTable;
}
