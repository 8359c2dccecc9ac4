import type { DesiredConfig, ProvisionedMeter } from '@gridlink/shared';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, configView } from '../src/control/index.js';
import { createCustomer } from '../src/customers/index.js';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { derivedDeviceId, provisionPushMeter, withProvisioned } from '../src/provisioning/index.js';
import type { Database } from '../src/storage/index.js';
import { describeEachStore } from './helpers/stores.js';

const T0 = Date.parse('2026-11-04T10:00:00Z');
const silent = pino({ level: 'silent' });

const udp = (id: string, meterId: string, cpf = '52998224725'): ProvisionedMeter => ({
  id,
  driver: 'udp-meter',
  meterId,
  cpf,
  pendingKey: `udp-meter:${cpf}:${meterId}`,
});
const tcp = (id: string, meterId: number): ProvisionedMeter => ({
  id,
  driver: 'tcp-json-meter',
  meterId,
  pendingKey: `tcp-json-meter:${meterId}`,
});

describe('withProvisioned (pure)', () => {
  it('appends, replaces by id or pending key in place, and answers undefined when unchanged', () => {
    const a = udp('d-1', '1');
    const b = tcp('e-7', 7);
    expect(withProvisioned([], a)).toEqual([a]);
    expect(withProvisioned([a], b)).toEqual([a, b]);
    expect(withProvisioned([a, b], { ...a })).toBeUndefined();
    // Same pending key, another id: the entry is replaced where it stood.
    const renamed = { ...a, id: 'kitchen' };
    expect(withProvisioned([a, b], renamed)).toEqual([renamed, b]);
    // Same id, the pending key dropped: replaced.
    const { pendingKey: _, ...bare } = a;
    expect(withProvisioned([a, b], bare as ProvisionedMeter)).toEqual([bare, b]);
  });

  it('refuses a second id for one physical meter and an id of the edge file', () => {
    expect(() =>
      withProvisioned([udp('d-1', '1')], { ...udp('other', '1'), pendingKey: undefined }),
    ).toThrow(expect.objectContaining({ code: 'GL_CONFLICT' }));
    expect(() => withProvisioned([], tcp('m1', 3), new Set(['m1']))).toThrow(
      expect.objectContaining({ code: 'GL_CONFLICT' }),
    );
  });

  it('derives readable device ids', () => {
    expect(derivedDeviceId({ driver: 'udp-meter', meterId: '1', cpf: '52998224725' })).toBe(
      'd-52998224725-1',
    );
    expect(derivedDeviceId({ driver: 'tcp-json-meter', meterId: 17 })).toBe('e-17');
    expect(derivedDeviceId({ driver: 'udp-meter', meterId: 'a b/c' })).toBe('d-a_b_c');
  });
});

describeEachStore('provisionPushMeter', (store) => {
  let database: Database & { dispose(): Promise<void> };
  let control: ControlPlane;
  let alice: number;
  let bob: number;
  const published: Array<{ topic: string; desired: DesiredConfig; retain: boolean }> = [];

  beforeAll(async () => {
    database = await store.open();
    await upsertEdgeCredential(database.db, 'e1');
    await upsertEdgeCredential(database.db, 'e2');
    alice = (await createCustomer(database.db, { document: '52998224725', name: 'Alice' })).id;
    bob = (await createCustomer(database.db, { document: '39053344705', name: 'Bob' })).id;
    control = new ControlPlane({
      db: database.db,
      // Records what the broker would receive; the broker path is in deploy/test.
      link: {
        publish: async (topic, payload, options) => {
          published.push({ topic, desired: JSON.parse(payload), retain: options?.retain ?? false });
        },
      },
      logger: silent,
      now: () => new Date(T0),
    });
    // e1 already runs a desired config of its own: provisioning keeps it.
    await control.setDesiredConfig(
      'e1',
      { version: 4, config: { statusIntervalMs: 5000, devices: [{ id: 'm1', profile: 'x' }] } },
      'admin',
    );
  });
  afterAll(async () => database?.dispose());

  const deps = () => ({ db: database.db, control, now: () => T0 });

  it('binds the meter and publishes version + 1 with the entry; asked twice, nothing changes', async () => {
    const meter = udp('d-52998224725-1', '1');
    const r = await provisionPushMeter(deps(), { edgeId: 'e1', customerId: alice, meter }, 'op');
    expect(r).toEqual({
      meterId: expect.any(Number),
      deviceId: 'd-52998224725-1',
      configVersion: 5,
    });
    expect(published.at(-1)).toEqual({
      topic: 'gl/v1/edges/e1/config',
      retain: true,
      desired: {
        version: 5,
        config: {
          statusIntervalMs: 5000,
          devices: [{ id: 'm1', profile: 'x' }],
          provisioned: [meter],
        },
      },
    });
    const view = await configView(database.db, 'e1');
    expect(view?.desired?.setBy).toBe('op');
    const row = await database.db
      .selectFrom('meters')
      .selectAll()
      .where('id', '=', r.meterId)
      .executeTakeFirstOrThrow();
    expect([row.edge_id, row.device_id, row.customer_id]).toEqual(['e1', 'd-52998224725-1', alice]);

    const count = published.length;
    const again = await provisionPushMeter(
      deps(),
      { edgeId: 'e1', customerId: alice, meter },
      'op',
    );
    expect(again).toEqual(r);
    expect(published.length).toBe(count);
  });

  it('a meter bound to another customer is a conflict; unknown edge, customer: 404 codes', async () => {
    await expect(
      provisionPushMeter(
        deps(),
        { edgeId: 'e1', customerId: bob, meter: udp('d-52998224725-1', '1') },
        'op',
      ),
    ).rejects.toMatchObject({ code: 'GL_CONFLICT' });
    await expect(
      provisionPushMeter(deps(), { edgeId: 'nope', customerId: bob, meter: tcp('e-1', 1) }, 'op'),
    ).rejects.toMatchObject({ code: 'GL_EDGE_UNKNOWN' });
    await expect(
      provisionPushMeter(deps(), { edgeId: 'e1', customerId: 999_999, meter: tcp('e-1', 1) }, 'op'),
    ).rejects.toMatchObject({ code: 'GL_NOT_FOUND' });
    // The id of a device of the edge's own config: refused before any meter row is bound.
    await expect(
      provisionPushMeter(deps(), { edgeId: 'e1', customerId: bob, meter: tcp('m1', 2) }, 'op'),
    ).rejects.toMatchObject({ code: 'GL_CONFLICT' });
    const m1 = await database.db
      .selectFrom('meters')
      .select('customer_id')
      .where('edge_id', '=', 'e1')
      .where('device_id', '=', 'm1')
      .executeTakeFirst();
    expect(m1?.customer_id ?? null).toBeNull();
  });

  it('concurrent binds on one edge keep every entry, one version each', async () => {
    const meters = Array.from({ length: 8 }, (_, i) => tcp(`e-${i + 1}`, i + 1));
    const results = await Promise.all(
      meters.map((meter, i) =>
        provisionPushMeter(
          deps(),
          { edgeId: 'e2', customerId: i % 2 ? alice : bob, meter },
          `op${i}`,
        ),
      ),
    );
    expect(results.map((r) => r.configVersion).sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    const view = await configView(database.db, 'e2');
    expect(view?.desired?.version).toBe(8);
    const list = view?.desired?.config.provisioned as ProvisionedMeter[];
    expect(list.map((m) => m.id).sort()).toEqual(meters.map((m) => m.id).sort());
  });
});
