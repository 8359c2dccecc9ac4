import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isGridlinkError } from '@gridlink/shared';
import {
  ALL_COMPANIES,
  type ConnectorSpec,
  type ImportFormat,
  importFormats,
  importNetwork,
  parseConnectorText,
} from '../ev/index.js';
import { cliConfig, fail, openCliDatabase } from './config-file.js';

export const IMPORT_HELP = `gridlink-central import-stations — load a charging network CSV into the central's database

Usage:
  gridlink-central import-stations --company ID [--name TEXT] --format feira|points
                                   [--connector STANDARD:WATTS] FILE

  --company ID      the charging company (created, named --name or ID, when absent)
  --format feira    the Feira de Santana stations file (;): one station per row, one point per
                    simultaneous vehicle
  --format points   a company's points file (,): one station per row holding that one point
  --connector       connector of each new point (default type2:22000: Type 2 AC 22 kW);
                    e.g. ccs2:150000
Where the database is: --config FILE, --data-dir DIR (embedded PGlite, default data/central) or
--database-url URL (PostgreSQL; GRIDLINK_DATABASE_URL when absent), as for the server. With
PGlite, stop the central first (one process per data directory).
Importing the same file again updates what changed and creates nothing (rows are keyed on the
file's ids). The report (JSON) is printed on stdout, a summary and every bad row on stderr.
Exit codes: 0 every row imported (warnings allowed), 1 some rows rejected or a failure, 2 bad usage.`;

/** `gridlink-central import-stations …` (docs/EV.md, "Network"). */
export async function runImportCommand(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        company: { type: 'string' },
        name: { type: 'string' },
        format: { type: 'string' },
        connector: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  }
  try {
    parsed = parse();
  } catch (err) {
    fail(2, `${(err as Error).message}\nRun gridlink-central import-stations --help for usage.`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${IMPORT_HELP}\n`);
    return;
  }
  if (!values.company) fail(2, 'import-stations needs --company ID');
  if (!values.format || !(importFormats as readonly string[]).includes(values.format))
    fail(2, `--format must be one of ${importFormats.join(', ')}`);
  if (positionals.length !== 1) fail(2, 'import-stations takes one FILE');
  let connector: ConnectorSpec | undefined;
  try {
    connector = values.connector === undefined ? undefined : parseConnectorText(values.connector);
  } catch (err) {
    fail(2, `--${(err as Error).message}`);
  }
  const path = positionals[0] as string;
  let content: Uint8Array;
  try {
    content = new Uint8Array(readFileSync(path));
  } catch (err) {
    fail(
      2,
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }

  const config = cliConfig(values);

  const database = await openCliDatabase(config);
  try {
    // The CLI acts as an operator of every company: whoever can open the database owns it.
    const report = await importNetwork(
      database.db,
      ALL_COMPANIES,
      {
        companyId: values.company,
        format: values.format as ImportFormat,
        content,
        ...(values.name === undefined ? {} : { companyName: values.name }),
        ...(connector === undefined ? {} : { connector }),
      },
      new Date(),
    );
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const lines = [
      `gridlink-central: ${path} into company ${report.companyId}${report.companyCreated ? ' (created)' : ''}: ${report.rows} rows, ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ${report.rejected} rejected; points ${report.points.created} created, ${report.points.updated} updated`,
      ...report.errors.map(
        (e) =>
          `  line ${e.line}${e.column === null ? '' : `, column ${e.column} (${e.field})`}: rejected: ${e.reason}`,
      ),
      ...report.warnings.map(
        (w) =>
          `  line ${w.line}${w.column === null ? '' : `, column ${w.column} (${w.field})`}: warning: ${w.reason}`,
      ),
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
    process.exitCode = report.rejected > 0 ? 1 : 0;
  } catch (err) {
    process.stderr.write(
      `gridlink-central: ${isGridlinkError(err) ? `${err.code}: ${err.message}` : `GL_INTERNAL: ${(err as Error).stack}`}\n`,
    );
    process.exitCode = isGridlinkError(err) && err.status < 500 ? 2 : 1;
  } finally {
    await database.close();
  }
}
