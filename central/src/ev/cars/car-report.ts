import type { ErrorCode } from '@gridlink/shared';
import { z } from 'zod';
import { isPlate } from './plate.js';

/**
 * Seed A's car topics (SEEDS.md A, docs/EV.md "Cars"): `carros/{placa}/status`
 * `{placa, nivel_bateria, em_carregamento}` and `carros/{placa}/bateria`, which the simulator's
 * car (firmware-sim/src/cars/car-device.ts) fills with the status fields plus the battery in
 * detail. Both are parsed here, purely: no I/O, no clock but the one passed in.
 */
export type CarTopicKind = 'status' | 'bateria';

/** One accepted report of a car, as stored. */
export interface CarReport {
  plate: string;
  source: CarTopicKind;
  /** `bateria`'s timestamp (the car's clock) when it has one, else when the central received it. */
  at: Date;
  receivedAt: Date;
  batteryPct: number;
  charging: boolean;
  energyKwh: number | null;
  rangeKm: number | null;
  powerKw: number | null;
  /** `bateria`'s model name and numbers (kept on the car row when it has none). */
  model: string | null;
  batteryKwh: number | null;
  consumptionKwhPerKm: number | null;
}

export type CarReportResult =
  | { ok: true; report: CarReport }
  | { ok: false; code: ErrorCode; message: string };

const pct = z.number().min(0).max(100);
const statusShape = {
  placa: z.string().max(16),
  nivel_bateria: pct,
  em_carregamento: z.boolean(),
};
const statusSchema = z.object(statusShape).strict();
const bateriaSchema = z
  .object({
    ...statusShape,
    modelo: z.string().min(1).max(100).optional(),
    capacidade_bateria: z.number().gt(0).max(1000).optional(),
    energia_kwh: z.number().min(0).max(1000).optional(),
    autonomia_km: z.number().min(0).max(100_000).optional(),
    taxa_descarga: z.number().gt(0).max(10).optional(),
    potencia_kw: z.number().min(0).max(2000).optional(),
    timestamp: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

const TOPIC = /^carros\/([^/]+)\/(status|bateria)$/;
/** Reports dated before this are a car with an unset clock, not history. */
const EARLIEST = Date.UTC(2000, 0, 1);

export interface CarReportLimits {
  maxPayloadBytes: number;
  /** How far ahead of the central's clock a car's timestamp may be. */
  maxFutureSkewMs: number;
}

const fail = (code: ErrorCode, message: string): CarReportResult => ({ ok: false, code, message });

/**
 * Decides one message on `carros/+/status` or `carros/+/bateria`: the topic's plate must be a
 * stored-form plate, the payload JSON of the topic's exact shape (unknown keys refused), its
 * `placa` the topic's plate (a car speaks only for itself), `nivel_bateria` 0-100,
 * `em_carregamento` a boolean, a timestamp no further ahead than `maxFutureSkewMs`.
 */
export function parseCarReport(
  topic: string,
  payload: Uint8Array,
  receivedAt: Date,
  limits: CarReportLimits,
): CarReportResult {
  const m = TOPIC.exec(topic);
  if (!m) return fail('GL_TOPIC_INVALID', `not a car topic: ${topic.slice(0, 100)}`);
  const plate = m[1] as string;
  const source = m[2] as CarTopicKind;
  if (!isPlate(plate)) return fail('GL_TOPIC_INVALID', 'the topic names no valid plate');
  if (payload.byteLength > limits.maxPayloadBytes)
    return fail(
      'GL_PAYLOAD_TOO_LARGE',
      `${payload.byteLength} bytes, more than ${limits.maxPayloadBytes}`,
    );
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    return fail('GL_PAYLOAD_INVALID_JSON', `${source}: not UTF-8 JSON`);
  }
  const parsed = (source === 'status' ? statusSchema : bateriaSchema).safeParse(json);
  if (!parsed.success)
    return fail(
      'GL_PAYLOAD_SCHEMA',
      parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`)
        .join('; '),
    );
  const body = parsed.data as z.infer<typeof bateriaSchema>;
  if (body.placa !== plate)
    return fail(
      'GL_EV_PLATE_MISMATCH',
      `placa ${JSON.stringify(body.placa.slice(0, 16))} is not the topic's ${plate}`,
    );
  let at = receivedAt;
  if (body.timestamp !== undefined) {
    const ms = Date.parse(body.timestamp);
    if (ms > receivedAt.getTime() + limits.maxFutureSkewMs)
      return fail(
        'GL_PAYLOAD_SCHEMA',
        `timestamp: more than ${limits.maxFutureSkewMs} ms ahead of the central's clock`,
      );
    if (ms < EARLIEST) return fail('GL_PAYLOAD_SCHEMA', 'timestamp: before 2000');
    at = new Date(ms);
  }
  return {
    ok: true,
    report: {
      plate,
      source,
      at,
      receivedAt,
      batteryPct: body.nivel_bateria,
      charging: body.em_carregamento,
      energyKwh: body.energia_kwh ?? null,
      rangeKm: body.autonomia_km ?? null,
      powerKw: body.potencia_kw ?? null,
      model: body.modelo ?? null,
      batteryKwh: body.capacidade_bateria ?? null,
      consumptionKwhPerKm: body.taxa_descarga ?? null,
    },
  };
}
