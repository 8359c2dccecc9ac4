import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { centralCommand, type ScratchDatabase, scratchPostgres } from '@gridlink/central/testing';
import pg from 'pg';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

/**
 * Three real `gridlink-central` processes that book trips together (issue #21, docs/FEDERATION.md):
 * company-a and company-b from their points files, feira from the Feira de Santana stations file,
 * each with its own PostgreSQL scratch database (so the audit reads the three databases with SQL,
 * and the CLI can mint tokens while a central runs), HTTP and the embedded broker on port 0.
 *
 * Every peer link goes through a FaultProxy of its own, one per direction (`proxy('company-a',
 * 'company-b')` is what company-a's peer URL for company-b points at), so a test can cut, hold,
 * duplicate or reorder any message, and a restarted central (new port) is found again by
 * retargeting the proxies that lead to it.
 */
export const COMPANIES = ['company-a', 'company-b', 'feira'] as const;
export type Company = (typeof COMPANIES)[number];

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const SEED = resolve(root, '../shared/data/seed');
const NETWORK: Record<Company, { format: 'points' | 'feira'; file: string }> = {
  'company-a': { format: 'points', file: join(SEED, 'company-a-points.csv') },
  'company-b': { format: 'points', file: join(SEED, 'company-b-points.csv') },
  feira: { format: 'feira', file: join(SEED, 'feira_de_santana_stations.csv') },
};

/**
 * The node arguments of the CLI: through tsx, or the compiled build (`npm run bench`; and the
 * tests' default when their run built it first: `centralCommand`).
 */
const BINS = {
  source: [join(root, 'central/bin/gridlink-central.js')],
  compiled: ['--conditions=gridlink-build', join(root, 'central/build/cli/gridlink-central.js')],
} as const;

const run = promisify(execFile);

export interface RigOptions {
  bin?: keyof typeof BINS;
  /** Numbers of the federation section (docs/CONFIG.md), the same at every central. */
  federation?: Record<string, number>;
  logLevel?: string;
  /** More top-level config sections, the same at every central (e.g. `ev`). */
  config?: Record<string, unknown>;
  /** Told how long each step took (the CLI steps, the starts). */
  log?: (line: string) => void;
  /** Database name prefix. */
  prefix?: string;
}

interface ReadyMessage {
  type: 'ready';
  httpUrl: string;
  adminToken: string;
}

/** An API answer: the status and the JSON body (null when empty). */
export interface ApiAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read JSON bodies of several shapes
  body: any;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One company's central: its database, its config, its running process. */
export class RigCentral {
  url = '';
  /** An admin token of this central (the ready message's: each start revokes the last). */
  admin = '';
  #proc: ChildProcess | undefined;
  #exited: Promise<Exit> = Promise.resolve({ code: 0, signal: null });
  #stderr = '';

  constructor(
    readonly name: Company,
    readonly db: ScratchDatabase,
    readonly configFile: string,
    readonly bin: readonly string[],
    readonly onUrl: (url: string) => void,
  ) {}

  get running(): boolean {
    return this.#proc !== undefined && this.#proc.exitCode === null && !this.#proc.signalCode;
  }

  /** Resolves when the current process exits (e.g. when a fault hook SIGKILLs it). */
  get exited(): Promise<Exit> {
    return this.#exited;
  }

  stderr(): string {
    return this.#stderr;
  }

  /** Starts the process (with `env` added, e.g. GRIDLINK_FEDERATION_FAULT) and awaits ready. */
  async start(env: Record<string, string> = {}): Promise<void> {
    if (this.running) throw new Error(`${this.name} is running`);
    this.#stderr = '';
    // The JSON log, appended across restarts: kept when GRIDLINK_KEEP_FEDERATION_RIG=1.
    const log = openSync(this.configFile.replace(/\.json$/, '.log'), 'a');
    const proc = spawn(process.execPath, [...this.bin, '--config', this.configFile], {
      stdio: ['ignore', log, 'pipe', 'ipc'],
      cwd: root,
      env: { ...process.env, ...env },
    });
    this.#proc = proc;
    closeSync(log);
    proc.stderr?.on('data', (d: Buffer) => {
      this.#stderr += d.toString();
      if (this.#stderr.length > 100_000) this.#stderr = this.#stderr.slice(-50_000);
    });
    this.#exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    const ready = await new Promise<ReadyMessage>((resolveReady, reject) => {
      proc.on('message', (m: { type?: string }) => {
        if (m?.type === 'ready') resolveReady(m as ReadyMessage);
      });
      void this.#exited.then((e) =>
        reject(
          new Error(
            `${this.name} exited (${e.signal ?? e.code}) before ready:\n${this.#stderr.slice(-3000)}`,
          ),
        ),
      );
    });
    this.url = ready.httpUrl;
    this.admin = ready.adminToken;
    this.onUrl(this.url);
  }

  /** Sends `signal` if it still runs; resolves on exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    if (this.running) this.#proc?.kill(signal);
    return this.#exited;
  }

  async restart(env: Record<string, string> = {}): Promise<void> {
    await this.stop();
    await this.start(env);
  }

  /** One SQL query on this central's database (for the audit), on a connection of its own. */
  async sql<R extends Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.db.url });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** A JSON call to this central's API with its admin token (or `token`). */
  async api(method: string, path: string, body?: unknown, token = this.admin): Promise<ApiAnswer> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  /** `gridlink-central ARGS --database-url …` to completion; its stdout. */
  async cli(...args: string[]): Promise<string> {
    try {
      const { stdout } = await run(
        process.execPath,
        [...this.bin, ...args, '--database-url', this.db.url],
        { cwd: root, maxBuffer: 16 * 1024 * 1024 },
      );
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${this.name}: gridlink-central ${args.join(' ')}: ${e.stderr ?? e.message}`);
    }
  }
}

export interface FederationRig {
  readonly dir: string;
  readonly centrals: Record<Company, RigCentral>;
  /** `token(issuer, subject)`: the peer token `issuer` issued to `subject`. */
  token(issuer: Company, subject: Company): string;
  /** The proxy on `from`'s peer link to `to`. */
  proxy(from: Company, to: Company): FaultProxy;
  /** Every proxy back to passing everything (held requests stay held). */
  healAll(): void;
  close(): Promise<void>;
}

const others = (c: Company) => COMPANIES.filter((o) => o !== c);

/**
 * Creates the three databases, imports each network and mints the peer tokens with the real CLI
 * (a peer calls us with a token we issued, subject = its federation name), writes the configs
 * (peer URLs at the proxies) and starts the three centrals.
 */
export async function startFederationRig(options: RigOptions = {}): Promise<FederationRig> {
  const bin = options.bin ? BINS[options.bin] : centralCommand();
  const dir = await mkdtemp(join(tmpdir(), 'gl-federation-'));
  const proxies = new Map<string, FaultProxy>();
  const key = (from: Company, to: Company) => `${from}>${to}`;
  const dbs: ScratchDatabase[] = [];
  const centrals = {} as Record<Company, RigCentral>;
  // tokens[issuer][subject]: the token `issuer` issued to `subject`.
  const tokens = {} as Record<Company, Record<string, string>>;
  const close = async () => {
    await Promise.all(Object.values(centrals).map((c) => c.stop()));
    await Promise.all([...proxies.values()].map((p) => p.close()));
    await Promise.all(dbs.map((d) => d.drop().catch(() => undefined)));
    if (process.env.GRIDLINK_KEEP_FEDERATION_RIG === '1')
      console.info(`federation rig kept in ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const from of COMPANIES)
      for (const to of others(from))
        proxies.set(key(from, to), await startFaultProxy(`${from}>${to}`));
    for (const c of COMPANIES) {
      const db = await scratchPostgres(`${options.prefix ?? 'gl_fed'}_${c.replace('-', '_')}`);
      dbs.push(db);
      centrals[c] = new RigCentral(c, db, join(dir, `${c}.json`), bin, (url) => {
        for (const from of others(c)) proxies.get(key(from, c))?.setTarget(url);
      });
    }
    const t0 = performance.now();
    const took = () => `${Math.round(performance.now() - t0)} ms`;
    await Promise.all(
      COMPANIES.map(async (c) => {
        const central = centrals[c];
        const net = NETWORK[c];
        await central.cli('import-stations', '--company', c, '--format', net.format, net.file);
        tokens[c] = {};
        for (const peer of others(c))
          tokens[c][peer] = (
            await central.cli('token', 'create', '--role', 'peer', '--subject', peer)
          ).trim();
      }),
    );
    for (const c of COMPANIES) {
      const config = {
        ...options.config,
        dataDir: join(dir, c),
        databaseUrl: centrals[c].db.url,
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { mode: 'embedded', host: '127.0.0.1', port: 0 },
        log: { level: options.logLevel ?? 'warn' },
        federation: {
          name: c,
          peers: others(c).map((p) => ({
            name: p,
            url: (proxies.get(key(c, p)) as FaultProxy).url,
            token: tokens[p]?.[c] as string,
          })),
          ...options.federation,
        },
      };
      await writeFile(centrals[c].configFile, JSON.stringify(config, null, 2));
    }
    options.log?.(`networks imported and peer tokens minted (9 CLI runs) in ${took()}`);
    await Promise.all(COMPANIES.map((c) => centrals[c].start()));
    options.log?.(`three centrals ready after ${took()}`);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    dir,
    centrals,
    token: (issuer, subject) => tokens[issuer]?.[subject] as string,
    proxy: (from, to) => proxies.get(key(from, to)) as FaultProxy,
    healAll: () => {
      for (const p of proxies.values()) p.heal();
    },
    close,
  };
}

/** What the audit found across the three databases. */
export interface FederationAudit {
  /** Every transaction in the coordinator's log with its state. */
  transactions: Array<{ id: string; state: string; trip_id: string | null }>;
  /** Live federated reservations per company. */
  live: Record<Company, number>;
  /** Every broken rule, one line each; empty when all is well. */
  problems: string[];
}

const LIVE = ['PENDING', 'RESERVED', 'FULFILLED'];
const FINAL = ['confirmed', 'canceled', 'failed'];

/**
 * The audit of issue #21 across the three databases (read with SQL): every transaction of
 * `coordinator` is final; a confirmed one has exactly one live (RESERVED) reservation per branch,
 * at the branch's company and point, and a committed fence row there; a canceled or failed one
 * has no live reservation anywhere and no fence row left tried or committed; no federated
 * reservation is live without a transaction, none is PENDING (no slot leaked); no point has two
 * overlapping live reservations (whatever their source).
 */
export async function auditFederation(
  rig: FederationRig,
  coordinator: Company = 'company-a',
): Promise<FederationAudit> {
  const coord = rig.centrals[coordinator];
  const transactions = await coord.sql<{ id: string; state: string; trip_id: string | null }>(
    'SELECT id, state, trip_id::text FROM fed_transactions ORDER BY created_at',
  );
  const branches = await coord.sql<{
    tx_id: string;
    branch_id: string;
    peer: string | null;
    point_id: string;
    state: string;
  }>('SELECT tx_id, branch_id, peer, point_id::text, state FROM fed_tx_branches');
  const at = {} as Record<
    Company,
    {
      reservations: Array<{ id: string; point_id: string; state: string; request_id: string }>;
      fence: Array<{ coordinator: string; tx_id: string; branch_id: string; state: string }>;
    }
  >;
  const problems: string[] = [];
  const live = {} as Record<Company, number>;
  for (const c of COMPANIES) {
    const central = rig.centrals[c];
    at[c] = {
      reservations: await central.sql(
        `SELECT id::text, point_id::text, state, request_id FROM ev_reservations
          WHERE source = 'federation'`,
      ),
      fence: await central.sql(
        'SELECT coordinator, tx_id, branch_id, state FROM fed_branches WHERE coordinator = $1',
        [coordinator],
      ),
    };
    live[c] = at[c].reservations.filter((r) => LIVE.includes(r.state)).length;
    const overlaps = await central.sql<{ a: string; b: string; point_id: string }>(
      `SELECT a.id::text AS a, b.id::text AS b, a.point_id::text FROM ev_reservations a
         JOIN ev_reservations b ON a.point_id = b.point_id AND a.id < b.id AND a.period && b.period
        WHERE a.state = ANY($1) AND b.state = ANY($1)`,
      [LIVE],
    );
    for (const o of overlaps)
      problems.push(
        `${c}: point ${o.point_id} has overlapping live reservations ${o.a} and ${o.b}`,
      );
    for (const r of at[c].reservations.filter((x) => x.state === 'PENDING'))
      problems.push(`${c}: reservation ${r.id} (${r.request_id}) is still PENDING (a held slot)`);
  }
  const known = new Set(transactions.map((t) => t.id));
  for (const c of COMPANIES)
    for (const r of at[c].reservations) {
      const tx = r.request_id?.split(':')[2];
      if (
        r.request_id?.startsWith(`fed:${coordinator}:`) &&
        tx &&
        !known.has(tx) &&
        LIVE.includes(r.state)
      )
        problems.push(`${c}: live reservation ${r.id} of unknown transaction ${tx}`);
    }
  for (const tx of transactions) {
    if (!FINAL.includes(tx.state)) problems.push(`tx ${tx.id} is still ${tx.state}`);
    for (const b of branches.filter((x) => x.tx_id === tx.id)) {
      const company = (b.peer ?? coordinator) as Company;
      const prefix = `fed:${coordinator}:${tx.id}:${b.branch_id}`;
      const mine = at[company].reservations.filter(
        (r) =>
          (r.request_id === prefix || r.request_id?.startsWith(`${prefix}:`)) &&
          LIVE.includes(r.state),
      );
      const fence = at[company].fence.find((f) => f.tx_id === tx.id && f.branch_id === b.branch_id);
      const where = `tx ${tx.id} (${tx.state}) stop ${b.branch_id} at ${company}`;
      if (tx.state === 'confirmed') {
        if (mine.length !== 1 || mine[0]?.state !== 'RESERVED' || mine[0]?.point_id !== b.point_id)
          problems.push(
            `${where}: live reservations ${JSON.stringify(mine)}, expected one RESERVED on point ${b.point_id}`,
          );
        if (fence?.state !== 'committed')
          problems.push(`${where}: fence ${fence?.state ?? 'absent'}, expected committed`);
      } else if (FINAL.includes(tx.state)) {
        if (mine.length !== 0) problems.push(`${where}: live reservations ${JSON.stringify(mine)}`);
        if (fence && ['tried', 'committed'].includes(fence.state))
          problems.push(`${where}: fence left ${fence.state}`);
      }
    }
  }
  return { transactions, live, problems };
}
