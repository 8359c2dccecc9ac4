import { GridlinkError } from '@gridlink/shared';
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../../storage/index.js';
import { COMPANY_ID, COMPANY_ID_MESSAGE, ensureCompany } from './companies.js';
import { type ConnectorSpec, DEFAULT_CONNECTOR } from './connector-spec.js';
import {
  type ImportFormat,
  type ImportIssue,
  importFormats,
  type NetworkRow,
  readNetworkRows,
} from './import-formats.js';
import { insertConnectors } from './points.js';
import { inScope, type NetworkScope } from './scope.js';

/** What an import did (the CLI prints it, the API answers it). Counts are station rows. */
export interface ImportReport {
  companyId: string;
  format: ImportFormat;
  companyCreated: boolean;
  /** Data lines read (the header excluded). */
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Rows refused: each is listed in `errors` (a row may have several). */
  rejected: number;
  points: { created: number; updated: number; unchanged: number };
  errors: ImportIssue[];
  /** Rows taken with a recovered value or a note (e.g. `-38.9545 sometimes`). */
  warnings: ImportIssue[];
}

export interface ImportRequest {
  companyId: string;
  /** The company's name when the import creates it (default: its id). */
  companyName?: string;
  format: ImportFormat;
  content: Uint8Array | string;
  /** The connector each new point gets; default DEFAULT_CONNECTOR (Type 2 AC 22 kW). */
  connector?: ConnectorSpec;
}

type Outcome = 'created' | 'updated' | 'unchanged';
interface PointTally {
  created: number;
  updated: number;
  unchanged: number;
}

/**
 * Imports a network file into a company (docs/EV.md, "Network"): each good row in its own
 * transaction (a row is stored whole or not at all), keyed on the file's ids so a second run
 * creates nothing and reports every row unchanged. Bad rows are reported, never thrown; only a
 * request that cannot start (unknown format, bad company id, another company's scope) throws.
 */
export async function importNetwork(
  db: Kysely<Schema>,
  scope: NetworkScope,
  request: ImportRequest,
  now: Date,
): Promise<ImportReport> {
  if (!(importFormats as readonly string[]).includes(request.format))
    throw new GridlinkError('GL_VALIDATION', `format: one of ${importFormats.join(', ')}`);
  if (!COMPANY_ID.test(request.companyId))
    throw new GridlinkError('GL_VALIDATION', `company: ${COMPANY_ID_MESSAGE}`);
  if (!inScope(scope, request.companyId))
    throw new GridlinkError('GL_NOT_FOUND', `company ${request.companyId} not found`);
  const read = readNetworkRows(request.format, request.content);
  const { created: companyCreated } = await ensureCompany(
    db,
    scope,
    request.companyId,
    request.companyName,
    now,
  );
  const connector = request.connector ?? DEFAULT_CONNECTOR;
  const report: ImportReport = {
    companyId: request.companyId,
    format: request.format,
    companyCreated,
    rows: read.dataLines,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    points: { created: 0, updated: 0, unchanged: 0 },
    errors: [...read.errors],
    warnings: [...read.warnings],
  };
  for (const row of read.rows) {
    const tally: PointTally = { created: 0, updated: 0, unchanged: 0 };
    const notes: ImportIssue[] = [];
    try {
      const outcome = await db
        .transaction()
        .execute((trx) => storeRow(trx, request.companyId, row, connector, now, tally, notes));
      report[outcome] += 1;
      report.points.created += tally.created;
      report.points.updated += tally.updated;
      report.points.unchanged += tally.unchanged;
      report.warnings.push(...notes);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      report.errors.push({
        line: row.line,
        column: null,
        field: null,
        reason: `could not be stored${typeof code === 'string' ? ` (database error ${code})` : ''}; nothing of this row was written`,
      });
    }
  }
  report.errors.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
  report.warnings.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
  report.rejected = new Set(report.errors.map((e) => e.line)).size;
  return report;
}

async function storeRow(
  trx: Transaction<Schema>,
  companyId: string,
  row: NetworkRow,
  connector: ConnectorSpec,
  now: Date,
  tally: PointTally,
  notes: ImportIssue[],
): Promise<Outcome> {
  const s = row.station;
  const inserted = await trx
    .insertInto('ev_stations')
    .values({
      company_id: companyId,
      external_id: s.externalId,
      name: s.name,
      address: s.address,
      latitude: s.latitude,
      longitude: s.longitude,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['company_id', 'external_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  const isNew = inserted !== undefined;
  // Locked: two imports of one file at once store each row once.
  const station = await trx
    .selectFrom('ev_stations')
    .selectAll()
    .where('company_id', '=', companyId)
    .where('external_id', '=', s.externalId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const stationId = Number(station.id);
  let changed = false;
  if (
    station.name !== s.name ||
    station.address !== s.address ||
    station.latitude !== s.latitude ||
    station.longitude !== s.longitude
  ) {
    await trx
      .updateTable('ev_stations')
      .set({
        name: s.name,
        address: s.address,
        latitude: s.latitude,
        longitude: s.longitude,
        updated_at: now,
      })
      .where('id', '=', stationId)
      .execute();
    changed = true;
  }
  const existing = await trx
    .selectFrom('ev_points')
    .select(['id', 'external_id', 'name', 'active'])
    .where('station_id', '=', stationId)
    .execute();
  const byExternal = new Map(existing.map((p) => [p.external_id, p]));
  for (const p of row.points) {
    const found = byExternal.get(p.externalId);
    if (!found) {
      const point = await trx
        .insertInto('ev_points')
        .values({
          station_id: stationId,
          external_id: p.externalId,
          name: p.name,
          active: p.active,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await insertConnectors(trx, Number(point.id), [connector]);
      tally.created += 1;
      changed = true;
    } else if (row.pointsFromFile && (found.name !== p.name || found.active !== p.active)) {
      await trx
        .updateTable('ev_points')
        .set({ name: p.name, active: p.active, updated_at: now })
        .where('id', '=', found.id)
        .execute();
      tally.updated += 1;
      changed = true;
    } else tally.unchanged += 1;
  }
  const wanted = new Set(row.points.map((p) => p.externalId));
  const extra = existing.filter((p) => !wanted.has(p.external_id) && p.active);
  if (extra.length > 0)
    notes.push({
      line: row.line,
      column: null,
      field: null,
      reason: `station ${s.externalId} has ${existing.length} points, the file ${row.points.length}: point${extra.length > 1 ? 's' : ''} ${extra.map((p) => p.external_id).join(', ')} kept active (deactivate through the API)`,
    });
  if (isNew) return 'created';
  return changed ? 'updated' : 'unchanged';
}
