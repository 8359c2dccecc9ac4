import { z } from 'zod';

/**
 * The federation wire (docs/FEDERATION.md): what a coordinator and a participant send each
 * other over HTTP. Pure: schemas and types only. Times are ISO 8601 UTC in whole seconds.
 */

/** A peer's federation name: how it is configured and the subject of its peer token. */
export const peerName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, dot, dash, underscore');

/** The coordinator's transaction id (a UUID). */
export const txId = z.uuid();
/** A branch id: the stop's sequence number as text. */
export const branchId = z.string().regex(/^[1-9][0-9]{0,3}$/, 'a stop number 1-9999');

const isoSecond = z.iso
  .datetime({ offset: true })
  .refine((s) => Date.parse(s) % 1000 === 0, 'whole seconds only');

/** The try: hold `pointId` for [start, end). PUT …/transactions/{txId}/branches/{branchId}. */
export const tryRequest = z
  .object({
    pointId: z.number().int().positive(),
    start: isoSecond,
    end: isoSecond,
    /** The car's plate, when known (the participant's start check compares it). */
    plate: z.string().min(1).max(16).nullable().optional(),
    /** How long the hold lasts, capped by the participant's federation.maxHoldMinutes. */
    holdSeconds: z.number().int().min(30).max(3_600),
    /** What the coordinator says of the trip, for the participant's operators: shown only. */
    trip: z
      .object({
        tripId: z.number().int().positive(),
        driver: z.string().max(120).nullable().optional(),
        stops: z.number().int().min(1).max(50),
      })
      .strict(),
  })
  .strict();
export type TryRequest = z.infer<typeof tryRequest>;

/** Cancel body: `compensate` also undoes a committed branch. */
export const cancelRequest = z.object({ compensate: z.boolean().optional() }).strict();
export type CancelRequest = z.infer<typeof cancelRequest>;

export const participantBranchStates = [
  'tried',
  'committed',
  'rolled_back',
  'suspended',
  'compensated',
] as const;
export type ParticipantBranchState = (typeof participantBranchStates)[number];

/** What every participant route answers for a branch (try, confirm, cancel, get). */
export const branchView = z
  .object({
    coordinator: peerName,
    txId,
    branchId,
    state: z.enum(participantBranchStates),
    pointId: z.number().int().positive().nullable(),
    start: isoSecond.nullable(),
    end: isoSecond.nullable(),
    reservationId: z.number().int().positive().nullable(),
    /** Until when the slot is held (state tried). */
    holdExpiresAt: z.iso.datetime({ offset: true }).nullable(),
    reason: z.string().nullable(),
  })
  .strict();
export type BranchView = z.infer<typeof branchView>;

/** A charging point in a peer's catalog. */
export const catalogPoint = z
  .object({
    id: z.number().int().positive(),
    name: z.string(),
    /** Takes bookings now: active, not in maintenance, not faulted or unavailable. */
    usable: z.boolean(),
    /** OCPP-like live state (available, charging, …, unknown). */
    state: z.string(),
    powerKw: z.number().positive(),
    /** The point's tariff (OCPI-shaped, docs/EV.md), when it has one. */
    price: z.unknown().nullable(),
    /** Live bookings ahead (PENDING, RESERVED, FULFILLED) within the catalog's horizon. */
    busy: z.array(z.object({ start: isoSecond, end: isoSecond }).strict()).max(10_000),
  })
  .strict();

export const catalogStation = z
  .object({
    id: z.number().int().positive(),
    companyId: z.string(),
    name: z.string(),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    points: z.array(catalogPoint).max(1_000),
  })
  .strict();

/** GET /api/v1/federation/catalog. */
export const catalog = z
  .object({
    peer: peerName,
    generatedAt: z.iso.datetime({ offset: true }),
    /** Bookings are listed from generatedAt to this instant. */
    busyUntil: z.iso.datetime({ offset: true }),
    stations: z.array(catalogStation).max(100_000),
  })
  .strict();
export type Catalog = z.infer<typeof catalog>;

export const transactionStates = [
  'trying',
  'confirming',
  'confirmed',
  'canceling',
  'canceled',
  'compensating',
  'failed',
] as const;

export const coordinatorBranchStates = [
  'pending',
  'tried',
  'try_failed',
  'confirmed',
  'canceled',
] as const;

/** GET /api/v1/federation/transactions/{txId} at the coordinator, and trip views. */
export const transactionView = z
  .object({
    txId,
    tripId: z.number().int().positive().nullable(),
    state: z.enum(transactionStates),
    holdUntil: z.iso.datetime({ offset: true }),
    decidedAt: z.iso.datetime({ offset: true }).nullable(),
    finishedAt: z.iso.datetime({ offset: true }).nullable(),
    reason: z.string().nullable(),
    branches: z.array(
      z
        .object({
          branchId,
          /** null: the coordinator's own company. */
          peer: peerName.nullable(),
          companyId: z.string(),
          stationId: z.number().int().positive(),
          pointId: z.number().int().positive(),
          start: isoSecond,
          end: isoSecond,
          state: z.enum(coordinatorBranchStates),
          reservationId: z.number().int().positive().nullable(),
          attempts: z.number().int().min(0),
          lastError: z.string().nullable(),
        })
        .strict(),
    ),
  })
  .strict();
export type TransactionView = z.infer<typeof transactionView>;

/** Header names (OCPI's): a new request id per hop, the transaction id end to end. */
export const REQUEST_ID_HEADER = 'x-request-id';
export const CORRELATION_ID_HEADER = 'x-correlation-id';
