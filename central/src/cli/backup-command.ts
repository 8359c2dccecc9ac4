import { parseArgs } from 'node:util';
import { backupToFile, RestoreRefused, restoreFromFile } from './backup-format.js';
import { cliConfig, fail, openCliDatabase } from './config-file.js';

export const BACKUP_HELP = `gridlink-central backup | restore — a logical backup of the central's database

Usage:
  gridlink-central backup --out FILE   [--config FILE | --data-dir DIR | --database-url URL]
  gridlink-central restore --in FILE   [--config FILE | --data-dir DIR | --database-url URL]

The file is gzip'd JSON lines (docs/BACKUP.md), the same for embedded PGlite and PostgreSQL: a
backup of one restores into the other. backup reads every table in one snapshot; with PGlite,
stop the central first (one process per data directory); with PostgreSQL it may run beside a
live central. restore needs a fresh database of the same GridLink version (its tables empty)
and loads everything in one transaction. The database is chosen as for the server: --config,
--data-dir (PGlite under DIR/db, default data/central), --database-url or GRIDLINK_DATABASE_URL.
Exit codes: 0 done, 1 failure (e.g. a database that is not empty), 2 bad usage.`;

export async function runBackupCommand(action: 'backup' | 'restore', argv: string[]) {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        out: { type: 'string' },
        in: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(2, `${(err as Error).message}\nRun gridlink-central ${action} --help for usage.`);
  }
  if (values.help) {
    process.stdout.write(`${BACKUP_HELP}\n`);
    return;
  }
  const file = action === 'backup' ? values.out : values.in;
  if (typeof file !== 'string' || file === '')
    fail(2, `${action} needs ${action === 'backup' ? '--out' : '--in'} FILE`);
  const config = cliConfig(values);
  const database = await openCliDatabase(config);
  try {
    const done =
      action === 'backup'
        ? await backupToFile(database.db, file, new Date())
        : await restoreFromFile(database.db, file);
    process.stdout.write(
      `${action === 'backup' ? 'backed up' : 'restored'} ${done.rows} rows of ${done.tables} tables ${action === 'backup' ? 'to' : 'from'} ${file}\n`,
    );
  } catch (err) {
    process.stderr.write(
      `gridlink-central: ${err instanceof RestoreRefused ? 'GL_CONFLICT' : 'GL_INTERNAL'}: ${(err as Error).message}\n`,
    );
    process.exitCode = 1;
  } finally {
    await database.close();
  }
}
