import { GridlinkError, getProfile, isGridlinkError, type Profile } from '@gridlink/shared';
import type { EdgeConfig } from './schema.js';

/**
 * Checks that every polled device's `profile` exists and that the profile files load: a missing
 * one is GL_CONFIG_INVALID naming the device's key path (`devices.2.profile`); a broken profile
 * file is GL_PROFILE_INVALID naming the file. Run before anything starts (the CLI, `--check`
 * included), so a mistake exits 2 instead of failing start-up.
 */
export function checkEdgeProfiles(
  config: Pick<EdgeConfig, 'devices'>,
  source = 'edge config',
  profileOf: (id: string) => Profile = getProfile,
): void {
  const problems: string[] = [];
  config.devices.forEach((d, i) => {
    if (!('profile' in d)) return;
    try {
      profileOf(d.profile);
    } catch (err) {
      if (!isGridlinkError(err, 'GL_PROFILE_UNKNOWN')) throw err;
      problems.push(`devices.${i}.profile: ${err.message}`);
    }
  });
  if (problems.length > 0)
    throw new GridlinkError('GL_CONFIG_INVALID', `${source}: ${problems.join('; ')}`);
}
