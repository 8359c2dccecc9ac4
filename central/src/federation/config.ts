import { z } from 'zod';
import { peerName } from './wire.js';

/** Hosts where a peer may be reached over plain http (same machine). */
const LOOPBACK = /^(127(\.\d{1,3}){3}|\[::1\]|localhost)$/;

/** A peer central: where it is and the token it issued to us (docs/FEDERATION.md). */
export const peerConfigSchema = z
  .object({
    name: peerName,
    /** Its HTTP base URL: https, or http on a loopback address only (a peer token in clear). */
    url: z
      .url({ protocol: /^https?$/ })
      .refine(
        (u) => u.startsWith('https:') || LOOPBACK.test(new URL(u).hostname),
        'http only on a loopback address (127.0.0.0/8, ::1, localhost); use https',
      ),
    /** The peer token it issued to us (`--role peer --subject <our name>`): sent as Bearer. */
    token: z.string().min(16).max(512),
  })
  .strict();
export type PeerConfig = z.output<typeof peerConfigSchema>;

/**
 * The `federation` section of the central's config (docs/CONFIG.md, docs/FEDERATION.md). Off
 * (no name, no peers) by default: a central alone books its own stops as before.
 */
export const federationConfigSchema = z
  .object({
    /** Our federation name: the subject of the peer tokens our peers issue to us. */
    name: peerName.optional(),
    peers: z
      .array(peerConfigSchema)
      .max(64)
      .default([])
      .refine((ps) => new Set(ps.map((p) => p.name)).size === ps.length, 'peer names repeat'),
    /** Longest hold a participant grants a try (the coordinator asks for its own hold). */
    maxHoldMinutes: z.number().int().min(1).max(60).default(15),
    /** How long the coordinator asks its participants to hold a slot. */
    holdMinutes: z.number().int().min(1).max(60).default(10),
    /** A try unanswered after this is a failed try (the transaction is canceled). */
    tryTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Any call to a peer gives up after this (then retried, phase two only). */
    callTimeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /** Phase-two retries: exponential from initial to max. */
    retryInitialMs: z.number().int().min(10).max(600_000).default(1_000),
    retryMaxMs: z.number().int().min(10).max(3_600_000).default(60_000),
    /** Each peer's catalog is copied this often (and at start). */
    catalogSyncSeconds: z.number().int().min(1).max(86_400).default(60),
    /** A peer's copy older than this is left out of planning. */
    catalogMaxAgeSeconds: z.number().int().min(10).max(604_800).default(900),
    /** Bookings listed ahead in our catalog. */
    catalogHorizonHours: z.number().int().min(1).max(720).default(48),
  })
  .strict()
  .refine((f) => f.peers.length === 0 || f.name !== undefined, {
    message: 'federation.name is needed when peers are configured',
    path: ['name'],
  })
  .refine((f) => f.holdMinutes <= f.maxHoldMinutes, {
    message: 'holdMinutes exceeds maxHoldMinutes',
    path: ['holdMinutes'],
  })
  .refine((f) => !f.name || f.peers.every((p) => p.name !== f.name), {
    message: 'a peer has our own name',
    path: ['peers'],
  })
  .prefault({});

export type FederationConfig = z.output<typeof federationConfigSchema>;
