import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GridlinkError } from '../errors/gridlink-error.js';
import { formatZodIssues } from '../errors/zod-issues.js';
import { type Profile, profileSchema } from './schema.js';

/**
 * Profiles are data: JSON files in `shared/profiles/`, validated when first loaded. A bundled
 * build (docs/DEPLOY.md) ships them beside the bundle and names the folder in
 * GRIDLINK_PROFILES_DIR, since its import.meta.url is the bundle's.
 */
const profileDir = process.env.GRIDLINK_PROFILES_DIR
  ? pathToFileURL(`${process.env.GRIDLINK_PROFILES_DIR.replace(/\/+$/, '')}/`)
  : new URL('../../profiles/', import.meta.url);

let cache: Map<string, Profile> | undefined;

/** Validates one profile document; errors name the file and the bad key. */
export function parseProfile(doc: unknown, source = 'profile'): Profile {
  const parsed = profileSchema.safeParse(doc);
  if (!parsed.success) {
    throw new GridlinkError('GL_PROFILE_INVALID', `${source}: ${formatZodIssues(parsed.error)}`);
  }
  return parsed.data;
}

function loadAll(): Map<string, Profile> {
  const map = new Map<string, Profile>();
  for (const file of readdirSync(profileDir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const path = fileURLToPath(new URL(file, profileDir));
    let doc: unknown;
    try {
      doc = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new GridlinkError('GL_PROFILE_INVALID', `${path}: ${(err as Error).message}`);
    }
    const profile = parseProfile(doc, path);
    map.set(profile.id, Object.freeze(profile));
  }
  return map;
}

export function listProfiles(): Profile[] {
  cache ??= loadAll();
  return [...cache.values()];
}

export function getProfile(id: string): Profile {
  cache ??= loadAll();
  const profile = cache.get(id);
  if (!profile)
    throw new GridlinkError(
      'GL_PROFILE_UNKNOWN',
      `no device profile "${id}" (have: ${[...cache.keys()].join(', ')})`,
    );
  return profile;
}
