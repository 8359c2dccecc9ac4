/**
 * The load of bench/scale.ts: edges that forward a backlog of telemetry (the edge's own LevelDB
 * log, mqtt.js and Uplink, as deploy/soak/harness.ts wires them) and booking clients on the
 * reservation API, each bound to one central as a load balancer's connection would be, and cars
 * reporting their battery over MQTT.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openReadingLog } from '@gridlink/edge';
import mqtt from 'mqtt';
import { type InProcessEdge, startInProcessEdge } from '../../deploy/soak/harness.js';
import { benchNewReading } from './forward-readings.js';

export interface EdgeLoad {
  edgeIds: readonly string[];
  readingsPerEdge: number;
  /** Readings per uplink batch (the edge's `uplink.maxReadings`). */
  batch: number;
  /** Batches in flight per edge (`uplink.window`; the edge ships with 8). */
  window: number;
}

/**
 * Appends `load.readingsPerEdge` readings to each edge's log under `dir` (made on first use),
 * offline: the forward bench's readings (7 values, 20 devices an edge), timestamps 1 ms apart from
 * `t0` so they fall in one monthly partition. A second call continues the same logs (the same
 * streams, the next seqs). Not measured.
 */
export async function buildBacklogs(dir: string, load: EdgeLoad, t0: number): Promise<void> {
  for (const edgeId of load.edgeIds) {
    await mkdir(join(dir, edgeId), { recursive: true });
    const log = await openReadingLog({ dir: join(dir, edgeId, 'log'), sync: false });
    for (let seq = 1; seq <= load.readingsPerEdge; seq += 1000) {
      const n = Math.min(1000, load.readingsPerEdge - seq + 1);
      await log.append(
        Array.from({ length: n }, (_, i) => ({ ...benchNewReading(seq + i), ts: t0 + seq + i })),
      );
    }
    await log.close();
  }
}

/** Connects every edge to the broker and resolves when each has its whole backlog acknowledged. */
export async function forwardBacklogs(
  dir: string,
  load: EdgeLoad,
  brokerUrl: string,
  secrets: Record<string, string>,
): Promise<void> {
  const edges: InProcessEdge[] = [];
  try {
    for (const [n, edgeId] of load.edgeIds.entries())
      edges.push(
        await startInProcessEdge({
          edgeId,
          dir: join(dir, edgeId),
          mqttUrl: brokerUrl,
          secret: secrets[edgeId] as string,
          seed: 21 + n,
          maxReadings: load.batch,
          window: load.window,
        }),
      );
    await Promise.all(edges.map((e) => e.drained()));
  } finally {
    await Promise.all(edges.map((e) => e.close()));
  }
}

export interface BookingLoad {
  clients: number;
  perClient: number;
  /** Point ids to book; client c takes the points at positions c, c + clients, … */
  points: readonly number[];
  /** Midnight (UTC, ms) of the day the slots are on; slots are 15 minutes. */
  day: number;
  token: string;
}

/**
 * Books `clients × perClient` distinct (point, slot) pairs, every booking expected to be a 201;
 * client c sends all its requests to `urls[c % urls.length]`. Returns the bookings per central.
 */
export async function book(urls: readonly string[], load: BookingLoad): Promise<number[]> {
  const perCentral = urls.map(() => 0);
  const failures: string[] = [];
  await Promise.all(
    Array.from({ length: load.clients }, async (_, c) => {
      const mine = load.points.filter((_, i) => i % load.clients === c);
      if (mine.length === 0) throw new Error(`client ${c} has no point`);
      const target = c % urls.length;
      for (let k = 0; k < load.perClient; k++) {
        const point = mine[k % mine.length] as number;
        const slot = Math.floor(k / mine.length);
        const start = load.day + slot * 900_000;
        const r = await fetch(`${urls[target]}/api/v1/reservations`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${load.token}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            pointId: point,
            // Staff book for a plate (a driver's token would book for the driver's car).
            plate: `SCL${1000 + c}`,
            start: new Date(start).toISOString(),
            end: new Date(start + 900_000).toISOString(),
            requestId: `scale-${load.day}-${c}-${k}`,
          }),
        });
        const text = await r.text();
        if (r.status !== 201) failures.push(`${r.status} ${text.slice(0, 300)}`);
        else perCentral[target] = (perCentral[target] as number) + 1;
      }
    }),
  );
  if (failures.length > 0)
    throw new Error(`${failures.length} bookings not created, e.g. ${failures[0]}`);
  return perCentral;
}

/**
 * Each car connects with its own credential (`car@{plate}`) and publishes `perCar` battery
 * reports (QoS 1, one after another, the cars in parallel), as seed A's cars report; resolves once
 * the broker has acknowledged them all (storing them is the central's, counted by the caller).
 */
export async function reportCars(
  brokerUrl: string,
  plates: readonly string[],
  secrets: Record<string, string>,
  perCar: number,
): Promise<void> {
  await Promise.all(
    plates.map(async (plate) => {
      const car = await mqtt.connectAsync(brokerUrl, {
        username: `car@${plate}`,
        password: secrets[`car@${plate}`],
        reconnectPeriod: 0,
      });
      try {
        for (let i = 1; i <= perCar; i++)
          await car.publishAsync(
            `carros/${plate}/bateria`,
            JSON.stringify({
              placa: plate,
              nivel_bateria: 20 + (i % 80),
              em_carregamento: i % 2 === 0,
              autonomia_km: i,
            }),
            { qos: 1 },
          );
      } finally {
        await car.endAsync();
      }
    }),
  );
}
