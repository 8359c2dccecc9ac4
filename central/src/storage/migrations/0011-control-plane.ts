import { type Kysely, sql } from 'kysely';

/**
 * The control plane (docs/WIRE.md, "Commands" and "Desired config"): device commands with their
 * result and timing, desired edge configs by version, the applied outcome each edge reported,
 * the service role for API tokens, and the one-time bootstrap marks (docs/DEPLOY.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('device_commands')
    // Paging key; `id` is what travels on the wire.
    .addColumn('seq', 'serial', (c) => c.primaryKey())
    // A UUID: never reused, so an edge that remembers recent ids can never mistake a new command
    // for a redelivery (edge/src/commands answers a known id without executing it again).
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('edge_id', 'text', (c) => c.notNull().references('edges.id').onDelete('cascade'))
    .addColumn('device_id', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('value', 'float8')
    // The API token id that asked.
    .addColumn('requested_by', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'timestamptz', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state IN ('pending','sent','succeeded','failed','expired')`),
    )
    .addColumn('sent_at', 'timestamptz')
    .addColumn('result_code', 'text')
    .addColumn('result_message', 'text')
    // When the central received the result, and the edge's own time of it (`at`, optional).
    .addColumn('result_at', 'timestamptz')
    .addColumn('edge_result_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('device_commands_edge')
    .on('device_commands')
    .columns(['edge_id', 'seq'])
    .execute();
  await sql`CREATE INDEX device_commands_open ON device_commands (requested_at)
    WHERE state IN ('pending','sent')`.execute(db);

  await db.schema
    .createTable('edge_desired_configs')
    .addColumn('edge_id', 'text', (c) => c.notNull().references('edges.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version >= 1`))
    .addColumn('config', 'jsonb', (c) => c.notNull())
    .addColumn('set_by', 'text', (c) => c.notNull())
    .addColumn('set_at', 'timestamptz', (c) => c.notNull())
    .addColumn('published_at', 'timestamptz')
    .addPrimaryKeyConstraint('edge_desired_configs_pk', ['edge_id', 'version'])
    .execute();

  await db.schema
    .createTable('edge_applied_configs')
    .addColumn('edge_id', 'text', (c) => c.primaryKey().references('edges.id').onDelete('cascade'))
    // The version the edge answered for, whether it took it, and the version it now runs.
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('ok', 'boolean', (c) => c.notNull())
    .addColumn('running', 'integer', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('edge_at', 'timestamptz')
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .execute();

  // Service principals (other systems calling the API) get tokens like staff.
  await sql`ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check`.execute(db);
  await sql`ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('admin','operator','customer','driver','service'))`.execute(db);

  await db.schema
    .createTable('central_bootstrap')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('done_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // A database that already holds an admin token was set up before this mark existed.
  await sql`INSERT INTO central_bootstrap (name, done_at)
    SELECT 'first-admin', now() WHERE EXISTS (SELECT 1 FROM api_tokens WHERE role = 'admin')`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('central_bootstrap').ifExists().execute();
  await sql`ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check`.execute(db);
  await sql`ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('admin','operator','customer','driver'))`.execute(db);
  await db.schema.dropTable('edge_applied_configs').ifExists().execute();
  await db.schema.dropTable('edge_desired_configs').ifExists().execute();
  await db.schema.dropTable('device_commands').ifExists().execute();
}
