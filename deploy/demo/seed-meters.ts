/**
 * The demo's seed meters (issue 19 item 5): simulated seed D meters (UDP datagrams, interval kWh)
 * and seed E meters (TCP JSON, cumulative kWh), each bound to a demo customer of its own through
 * provisioning (docs/PROVISIONING.md): the central stores the binding in the edge's desired config
 * (`provisioned`), the edge serves them from then on. Seed E meters are provisioned before they
 * speak (their ids are known); seed D meters are bound as an operator would bind a meter nobody
 * declared: from the edge's pending list, to the customer whose CPF their datagrams carry. What a
 * meter sent before the edge had its binding is held pending there and delivered once it has.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { cpfCheckDigits } from '@gridlink/shared';

export const SEED_D_METERS = 2;
export const SEED_E_METERS = 2;

/** Seed D's rules (data/seed/README.md): R$ 1.07/kWh, excess above 1000 kWh. */
const SEED_D_TARIFF = { id: 'seed-d', energy: { model: 'flat', pricePerKwh: '1.07' } };
/** Seed E's rules: R$ 0.40/kWh, alert at 300 kWh. */
const SEED_E_TARIFF = { id: 'seed-e', energy: { model: 'flat', pricePerKwh: '0.40' } };

/** A free port of the kind on 127.0.0.1 (the listener is closed again at once). */
export async function freePort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const { port } = s.address();
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === 'object' && address ? address.port : 0;
}

/** The seed E meters' ids: each says it (`{"id":N}`), so a reconnect keeps its identity. */
const seedEIds = Array.from({ length: SEED_E_METERS }, (_, i) => i + 1);

/** The simulator's scenario part for the seed meters (firmware-sim scenario keys). */
export function seedMeterScenario(o: { udpPort: number; tcpPort: number; intervalMs: number }) {
  return {
    udpMeters: {
      count: SEED_D_METERS,
      target: { host: '127.0.0.1', port: o.udpPort },
      intervalMs: o.intervalMs,
      rateKW: 1.5,
    },
    tcpJsonMeters: {
      count: SEED_E_METERS,
      target: { host: '127.0.0.1', port: o.tcpPort },
      intervalMs: o.intervalMs,
      rateKW: 1.5,
      ids: seedEIds,
    },
  };
}

/** The edge's listeners for them: open even before the binding arrives (readings held pending). */
export function seedMeterListeners(o: { udpPort: number; tcpPort: number }) {
  return {
    udp: { host: '127.0.0.1', port: o.udpPort, enabled: true },
    tcpJson: { host: '127.0.0.1', port: o.tcpPort, enabled: true },
  };
}

export interface SeedMeter {
  kind: 'seed D (UDP)' | 'seed E (TCP JSON)';
  deviceId: string;
  meterId: number;
  customerId: number;
}

// biome-ignore lint/suspicious/noExplicitAny: the API's JSON bodies, read field by field
type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

/** The API at `base` with an admin token. */
export function demoApi(base: string, token: string): Api {
  return async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
}

/** Demo customer n of seed E: a valid CPF of its own (000.000.00n-xx). */
function seedECpf(n: number): string {
  const base = [0, 0, 0, 0, 0, 0, 1, 0, n];
  return [...base, ...cpfCheckDigits(base)].join('');
}

/** The demo customer with this document: created, or found when an earlier run made it. */
async function customer(api: Api, input: Record<string, unknown>): Promise<number> {
  const made = await api('POST', '/customers', input);
  if (made.status === 201) return made.body.id as number;
  // GET /customers/{id} takes the CPF as the id.
  const found = await api('GET', `/customers/${input.document as string}`);
  if (found.status !== 200)
    throw new Error(`demo customer ${input.name as string}: ${made.status} then ${found.status}`);
  return found.body.id as number;
}

/**
 * Seed E: a demo customer each, and the meter provisioned to it before it speaks
 * (`POST /edges/{edgeId}/provisioned-meters`); asked again on a later run, nothing changes.
 */
export async function provisionSeedEMeters(api: Api, edgeId: string): Promise<SeedMeter[]> {
  const out: SeedMeter[] = [];
  for (const [i, id] of seedEIds.entries()) {
    const customerId = await customer(api, {
      document: seedECpf(i + 1),
      name: `Seed E customer ${i + 1}`,
      tariff: SEED_E_TARIFF,
      monthlyLimitKwh: 300,
    });
    const r = await api('POST', `/edges/${edgeId}/provisioned-meters`, {
      customerId,
      driver: 'tcp-json-meter',
      meterId: String(id),
    });
    if (r.status !== 202)
      throw new Error(
        `provisioning seed E meter ${id} failed: ${r.status} ${JSON.stringify(r.body)}`,
      );
    out.push({
      kind: 'seed E (TCP JSON)',
      deviceId: r.body.deviceId,
      meterId: r.body.meterId,
      customerId,
    });
  }
  return out;
}

/**
 * Seed D: binds each seed D meter the edge reports pending to the customer whose CPF its
 * datagrams carry (created with seed D's tariff and limit when new), by document, as an operator
 * would (`POST /edges/{edgeId}/pending-devices/{key}/bind`). Returns what it bound this time.
 */
export async function bindPendingSeedDMeters(api: Api, edgeId: string): Promise<SeedMeter[]> {
  const list = await api('GET', `/edges/${edgeId}/pending-devices`);
  if (list.status !== 200) return [];
  const out: SeedMeter[] = [];
  for (const p of list.body.items as Array<{
    key: string;
    driver: string;
    cpf: string | null;
    meterId: string;
    boundAs: string | null;
  }>) {
    if (p.driver !== 'udp-meter' || p.cpf === null || p.boundAs !== null) continue;
    const customerId = await customer(api, {
      document: p.cpf,
      name: `Seed D customer ${p.cpf.slice(0, 3)}…`,
      tariff: SEED_D_TARIFF,
      monthlyLimitKwh: 1000,
    });
    const r = await api('POST', `/edges/${edgeId}/pending-devices/${p.key}/bind`, {
      document: p.cpf,
    });
    if (r.status === 202)
      out.push({
        kind: 'seed D (UDP)',
        deviceId: r.body.deviceId,
        meterId: r.body.meterId,
        customerId,
      });
  }
  return out;
}
