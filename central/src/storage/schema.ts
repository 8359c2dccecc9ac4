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

/** One log instance of one edge: the high-water mark of exactly-once ingest. */
export interface IngestStreamsTable {
  id: Generated<number>;
  edge_id: string;
  epoch: string;
  up_to: Int8Default;
  dropped: Int8Default;
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

export interface ReadingsTable {
  stream_id: number;
  seq: Int8;
  meter_id: number;
  ts: Timestamp;
  quality: string;
  values: ColumnType<Record<string, number>, string, string>;
}

export interface Schema {
  edges: EdgesTable;
  api_tokens: ApiTokensTable;
  meters: MetersTable;
  ingest_streams: IngestStreamsTable;
  ingest_gaps: IngestGapsTable;
  readings: ReadingsTable;
}
