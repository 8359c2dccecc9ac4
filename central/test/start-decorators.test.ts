import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgeTopic, FakeClock, type TelemetryBatch } from '@gridlink/shared';
import { sql } from 'kysely';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertEdgeCredential } from '../src/edges/index.js';
import { type BrokerLink, type Central, startCentral } from '../src/index.js';

/**
 * startCentral's extension points (issue #15 item 8): `decorate.brokerLink` wraps the one link
 * every publication goes through, and an ack reaches it only after its batch committed (what the
 * central-kill fault harness relies on); `clock` is the time the ingest's window is checked by.
 */
const T0 = Date.parse('2033-01-01T00:00:00.000Z');

describe('startCentral decorate.brokerLink and clock', () => {
  const clock = new FakeClock(T0);
  const seen: Array<{ topic: string; upTo: number; markAtPublish: number }> = [];
  let central: Central;
  let dir: string;

  const mark = async (edgeId: string) =>
    Number(
      (
        await sql<{ up_to: string }>`
          SELECT up_to::text FROM ingest_streams WHERE edge_id = ${edgeId}`.execute(
          central.database.db,
        )
      ).rows[0]?.up_to ?? 0,
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gl-decorate-'));
    const recordAcks = (link: BrokerLink): BrokerLink => ({
      listen: (deliver) => link.listen(deliver),
      subscribe: (filters) => link.subscribe(filters),
      unsubscribe: () => link.unsubscribe(),
      async publish(topic, payload, options) {
        if (topic.endsWith('/ack')) {
          const { upTo } = JSON.parse(payload) as { upTo: number };
          seen.push({ topic, upTo, markAtPublish: await mark('edge-dec') });
        }
        return link.publish(topic, payload, options);
      },
    });
    central = await startCentral(
      { dataDir: dir, http: { port: 0 }, mqtt: { mode: 'embedded', port: 0 } },
      {
        logger: pino({ level: 'silent' }),
        scheduler: false,
        clock,
        decorate: { brokerLink: recordAcks },
      },
    );
  });
  afterAll(async () => {
    await central?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the decorated link carries the ack, after the commit, for readings valid by the injected clock', async () => {
    const secret = await upsertEdgeCredential(central.database.db, 'edge-dec');
    const edge = await mqtt.connectAsync(central.mqttUrl, {
      username: 'edge-dec',
      password: secret,
      clientId: 'edge-edge-dec',
      reconnectPeriod: 0,
    });
    try {
      await edge.subscribeAsync(edgeTopic('edge-dec', 'ack'), { qos: 1 });
      const acked = new Promise<Buffer>((resolve) => edge.once('message', (_t, p) => resolve(p)));
      // Five years past the wall clock: in the window only by the central's injected clock.
      const batch: TelemetryBatch = {
        edgeId: 'edge-dec',
        epoch: 'epoch-dec',
        firstSeq: 1,
        lastSeq: 3,
        dropped: 0,
        droppedUpTo: 0,
        readings: [1, 2, 3].map((seq) => ({
          seq,
          deviceId: 'meter-1',
          ts: T0 - 60_000 + seq,
          quality: 'good' as const,
          values: { energy_import: seq },
        })),
      };
      await edge.publishAsync(edgeTopic('edge-dec', 'telemetry'), JSON.stringify(batch), {
        qos: 1,
      });
      expect(JSON.parse((await acked).toString())).toEqual({ epoch: 'epoch-dec', upTo: 3 });
      expect(seen).toEqual([{ topic: edgeTopic('edge-dec', 'ack'), upTo: 3, markAtPublish: 3 }]);
      const stored = await sql<{ n: number; q: number }>`
        SELECT (SELECT count(*)::int FROM readings) AS n,
               (SELECT count(*)::int FROM ingest_quarantine) AS q`.execute(central.database.db);
      expect(stored.rows[0]).toEqual({ n: 3, q: 0 });
    } finally {
      await edge.endAsync(true);
    }
  });
});
