/** The shapes the operator console reads, as `/openapi.json` documents them (same names). */
export interface EdgeStatusLog {
  epoch: string;
  lastSeq: number;
  ackedUpTo: number;
  pending: number;
  dropped: number;
}

export interface DeviceHealth {
  deviceId: string;
  online: boolean;
  lastOkAt: number | null;
  consecutiveFailures: number;
  polls: number;
  failures: number;
  overruns: number;
  lastError: string | null;
}

export interface Edge {
  id: string;
  createdAt: string;
  lastSeenAt: string | null;
  status: {
    online?: boolean;
    agentVersion?: string;
    configVersion?: number;
    log?: EdgeStatusLog;
    devices?: DeviceHealth[];
  } | null;
  ingest: { epoch: string; upTo: number; dropped: number; quarantined: number } | null;
}

export interface Device {
  deviceId: string;
  kind: 'meter' | 'charger' | 'car' | 'other';
  driver: string | null;
  profile: string | null;
  firstSeenAt: string;
  lastReportedAt: string | null;
  lastOkAt: string | null;
  online: boolean | null;
}

export interface PendingDevice {
  key: string;
  driver: string;
  cpf: string | null;
  meterId: string;
  from: string | null;
  firstSeenAt: string;
  lastSeenAt: string;
  buffered: number;
  dropped: number;
  boundAs: string | null;
}

export interface DeviceCommand {
  id: string;
  deviceId: string;
  command: string;
  value: number | null;
  state: 'pending' | 'sent' | 'succeeded' | 'failed' | 'expired';
  requestedBy: string;
  requestedAt: string;
  result: { code: string | null; message: string | null; at: string } | null;
}

export interface EdgeConfig {
  edgeId: string;
  desired: {
    version: number;
    config: Record<string, unknown>;
    setBy: string;
    setAt: string;
    publishedAt: string | null;
  } | null;
  applied: {
    version: number;
    ok: boolean;
    error?: { code: string; message: string } | null;
    receivedAt: string;
  } | null;
  inSync: boolean;
}

export type AlarmState = 'ACTIVE_UNACK' | 'ACTIVE_ACK' | 'CLEARED_UNACK' | 'CLEARED_ACK';

export interface StaffAlarm {
  id: number;
  source: string;
  type: string;
  severity: string;
  state: AlarmState;
  customerId: number | null;
  occurrences: number;
  raisedAt: string;
  ackedAt: string | null;
  ackedBy: string | null;
  clearedAt: string | null;
  clearedBy: string | null;
}

export interface Station {
  id: number;
  companyId: string;
  name: string;
  address: string | null;
  timeZone: string;
  points: number;
  availablePoints: number;
}

export interface Maintenance {
  on: boolean;
  reason: string | null;
  by: string | null;
  at: string | null;
}

export interface ChargingPoint {
  id: number;
  stationId: number;
  name: string;
  active: boolean;
  available: boolean;
  maintenance: Maintenance;
  charger: { edgeId: string; deviceId: string } | null;
  state: string;
  stateAt: string | null;
  powerW: number | null;
  connectors: Array<{
    connectorNo: number;
    standard: string;
    powerType: string;
    maxPowerW: number;
  }>;
}

export interface StationDetail extends Station {
  pointList: ChargingPoint[];
}

export interface Reservation {
  id: number;
  pointId: number;
  plate: string | null;
  start: string;
  end: string;
  state: string;
}

export interface StaffCustomer {
  id: number;
  document: string;
  name: string;
  timeZone: string;
  monthlyLimitKwh: string | null;
  canSignIn: boolean;
}

export interface StaffMeter {
  id: number;
  edgeId: string;
  deviceId: string;
  customerId: number | null;
}

export interface Reading {
  ts: string;
  quality: string;
  values: Record<string, number>;
}

export interface ListPage<T> {
  items: T[];
  next: string | null;
}
