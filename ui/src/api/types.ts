/** The shapes the UI reads, as `/openapi.json` documents them (components of the same names). */
export type Period = 'day' | 'month' | 'year';
export type Granularity = 'hour' | 'day' | 'month' | 'year';

export interface ConsumptionHistory {
  timeZone: string;
  granularity: Granularity;
  from: string;
  to: string;
  totalWh: number;
  totalKwh: string;
  buckets: Array<{ start: string; startsAt: string; wh: number; kwh: string }>;
  roundedToHours: boolean;
  gaps: Array<{ from: string; to: string }>;
}

export interface Customer {
  id: number;
  name: string;
  document: string;
  timeZone: string;
}

export interface Meter {
  id: number;
  edgeId: string;
  deviceId: string;
  customerId: number | null;
}

export interface Reading {
  ts: string;
  quality: 'good' | 'uncertain' | 'bad';
  values: Record<string, number>;
}

export interface InvoiceLine {
  kind: 'energy' | 'availability' | 'bandeira' | 'tax' | 'public-lighting';
  code: string;
  description: string;
  quantityWh?: number;
  unitPrice?: string;
  amount: number;
}

export interface Invoice {
  id: number;
  number: string;
  meterId: number;
  customerId: number;
  period: { start: string; end: string; timeZone: string };
  tariffId: string;
  consumptionKwh: string;
  billedKwh: string;
  lines: InvoiceLine[];
  totals: Record<string, number>;
  totalCentavos: number;
  dueDate: string;
  pixPayload: string | null;
  status: 'open' | 'paid' | 'cancelled';
  issuedAt: string;
}

export interface Alarm {
  id: number;
  source: string;
  type: string;
  severity: string;
  state: string;
  raisedAt: string;
  ackedAt: string | null;
  ackedBy: string | null;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}
