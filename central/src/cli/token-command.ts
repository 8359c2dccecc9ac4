import { parseArgs } from 'node:util';
import { isGridlinkError } from '@gridlink/shared';
import {
  issueToken,
  listTokens,
  type MintableRole,
  mintableRoles,
  type Principal,
  revokeToken,
} from '../auth/index.js';
import { cliConfig, fail, openCliDatabase } from './config-file.js';

export const TOKEN_HELP = `gridlink-central token — API tokens, straight in the central's database

Usage:
  gridlink-central token create --role ROLE [--subject ID] [--label TEXT] [--expires-in N(s|m|h|d)]
  gridlink-central token list
  gridlink-central token revoke TOKEN_ID

Where the database is: --config FILE, --data-dir DIR (embedded PGlite, default data/central) or
--database-url URL (PostgreSQL; GRIDLINK_DATABASE_URL when absent), as for the server.
With PGlite, stop the central first (one process per data directory); with PostgreSQL, run it
any time. ROLE is one of ${mintableRoles.join(', ')} (customers sign in); a driver token needs
--subject DRIVER_ID, a peer token --subject PEER_NAME (docs/FEDERATION.md). create prints the
token alone on stdout, once: only its hash is stored.
Exit codes: 0 done, 1 failure (e.g. no such token), 2 bad usage.`;

const DURATION = /^([1-9][0-9]{0,9})(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30d` → ms; exits 2 on anything else. */
function duration(text: string): number {
  const m = DURATION.exec(text);
  if (!m) fail(2, `--expires-in must be a number and a unit s|m|h|d (e.g. 90d), got "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** The CLI acts as an admin: whoever can open the database owns the central. */
const CLI_ADMIN: Principal = { role: 'admin', subject: null, tokenId: 'cli' };

export async function runTokenCommand(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  function parse() {
    return parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        'database-url': { type: 'string' },
        role: { type: 'string' },
        subject: { type: 'string' },
        label: { type: 'string' },
        'expires-in': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  }
  try {
    parsed = parse();
  } catch (err) {
    fail(2, `${(err as Error).message}\nRun gridlink-central token --help for usage.`);
  }
  const { values, positionals } = parsed;
  const [action, ...rest] = positionals;
  if (values.help || action === undefined) {
    process.stdout.write(`${TOKEN_HELP}\n`);
    if (!values.help) process.exitCode = 2;
    return;
  }
  if (!['create', 'list', 'revoke'].includes(action))
    fail(2, `unknown token action "${action}" (create, list, revoke)`);
  if (action === 'revoke' ? rest.length !== 1 : rest.length !== 0)
    fail(2, action === 'revoke' ? 'revoke takes one token id' : `${action} takes no arguments`);

  const config = cliConfig(values);

  let role: MintableRole | undefined;
  if (action === 'create') {
    if (!values.role) fail(2, `create needs --role (${mintableRoles.join(', ')})`);
    if (!(mintableRoles as readonly string[]).includes(values.role))
      fail(2, `--role must be one of ${mintableRoles.join(', ')}, got "${values.role}"`);
    role = values.role as MintableRole;
  }
  const ttlMs = values['expires-in'] === undefined ? undefined : duration(values['expires-in']);

  const database = await openCliDatabase(config);
  try {
    const now = new Date();
    if (action === 'create') {
      const { token, view } = await issueToken(
        database.db,
        {
          role: role as MintableRole,
          ...(values.subject === undefined ? {} : { subject: values.subject }),
          ...(values.label === undefined ? {} : { label: values.label }),
          ...(ttlMs === undefined ? {} : { ttlMs }),
        },
        now,
      );
      process.stderr.write(
        `gridlink-central: created ${view.role} token ${view.id}${view.expiresAt ? `, expires ${view.expiresAt}` : ''}; it is shown once, below\n`,
      );
      process.stdout.write(`${token}\n`);
    } else if (action === 'list') {
      process.stdout.write('id\trole\tsubject\tlabel\tcreated\texpires\n');
      let after: string | undefined;
      do {
        const page = await listTokens(database.db, CLI_ADMIN, { limit: 500, after }, now);
        for (const t of page.items)
          process.stdout.write(
            `${[t.id, t.role, t.subject ?? '-', JSON.stringify(t.label ?? ''), t.createdAt, t.expiresAt ?? 'never'].join('\t')}\n`,
          );
        after = page.next ?? undefined;
      } while (after !== undefined);
    } else {
      const id = rest[0] as string;
      if (!/^[a-f0-9]{16}$/.test(id))
        fail(2, `expected a token id (16 hex digits, the glt_<id>_ part), got "${id}"`);
      if (!(await revokeToken(database.db, CLI_ADMIN, id, now))) {
        process.stderr.write(`gridlink-central: GL_NOT_FOUND: no live token ${id}\n`);
        process.exitCode = 1;
      } else process.stdout.write(`revoked ${id}\n`);
    }
  } catch (err) {
    process.stderr.write(
      `gridlink-central: ${isGridlinkError(err) ? `${err.code}: ${err.message}` : `GL_INTERNAL: ${(err as Error).stack}`}\n`,
    );
    process.exitCode = isGridlinkError(err) && err.status < 500 ? 2 : 1;
  } finally {
    await database.close();
  }
}
