import type { ClockAndTimers } from '@gridlink/shared';
import { GridlinkError, getProfile, isGridlinkError, type Profile } from '@gridlink/shared';
import type { Logger } from 'pino';

export interface SimulatorOptions {
  /** How many meters, served as unit ids 1..N. 1..247 (the Modbus serial address range). */
  meters: number;
  modbusTcp: {
    /** 0 = any free port. */
    port: number;
    /** Default 127.0.0.1. */
    host?: string;
    /** When the port is taken, move to a free one instead of failing. Default false. */
    fallback?: boolean;
  };
  /** Device profile id of the meters. Default eastron-sdm630. */
  profile?: string;
  /** Seeds every device's model; the same seed replays the same fleet. Default 1. */
  seed?: number;
  /** Device models' time and the tick timer; default the system clock. */
  clock?: ClockAndTimers;
  /** How often the models advance to the clock's now. Default 1000 ms. */
  tickMs?: number;
  logger?: Logger;
}

export interface ResolvedSimulatorOptions {
  meters: number;
  modbusTcp: { port: number; host: string; fallback: boolean };
  profile: Profile;
  seed: number;
  tickMs: number;
}

/** The highest Modbus unit id a device may have (Modbus over Serial Line v1.02 §2.2: 1..247). */
export const MAX_UNIT_ID = 247;

function invalid(key: string, reason: string): never {
  throw new GridlinkError('GL_CONFIG_INVALID', `${key}: ${reason}`, { key });
}

function integer(key: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    invalid(key, `must be an integer ${min}..${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Checks the data options once, with defaults; a bad value is GL_CONFIG_INVALID naming the key. */
export function resolveSimulatorOptions(options: SimulatorOptions): ResolvedSimulatorOptions {
  const profileId = options.profile ?? 'eastron-sdm630';
  let profile: Profile;
  try {
    profile = getProfile(profileId);
  } catch (err) {
    if (isGridlinkError(err, 'GL_PROFILE_UNKNOWN')) invalid('profile', err.message);
    throw err;
  }
  if (profile.kind !== 'meter')
    invalid('profile', `${profileId} is a ${profile.kind}, not a meter`);
  const host = options.modbusTcp?.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) invalid('modbusTcp.host', 'must be a host');
  const tickMs = options.tickMs ?? 1000;
  if (typeof tickMs !== 'number' || !(tickMs > 0)) invalid('tickMs', 'must be a positive number');
  return {
    meters: integer('meters', options.meters, 1, MAX_UNIT_ID),
    modbusTcp: {
      port: integer('modbusTcp.port', options.modbusTcp?.port, 0, 65535),
      host,
      fallback: options.modbusTcp?.fallback ?? false,
    },
    profile,
    seed: integer('seed', options.seed ?? 1, 0, 0xffffffff),
    tickMs,
  };
}
