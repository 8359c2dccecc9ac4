import { GridlinkError, listProfiles, type Profile } from '@gridlink/shared';
import type { KnownDevice } from './edge-devices.js';

export interface CommandRequest {
  deviceId: string;
  command: string;
  value?: number;
}

/**
 * Checks a command before anything is stored or sent (pure but for the bundled profiles). The
 * device must be one the edge has; with its profile known, the command must be one of the
 * profile's, with a value exactly when the command takes one, inside its bounds (the edge's
 * `commandWrite` applies the same rules again). Without a profile, the command must be one some
 * profile defines, and the edge judges the value.
 */
export function checkCommand(
  edgeId: string,
  device: KnownDevice | undefined,
  request: CommandRequest,
  profiles: readonly Profile[] = listProfiles(),
): void {
  const { deviceId, command, value } = request;
  if (!device)
    throw new GridlinkError(
      'GL_DEVICE_UNKNOWN',
      `edge ${edgeId} has no device ${deviceId} (not in its status nor in its desired config)`,
    );
  const profile = profiles.find((p) => p.id === device.profile);
  if (!profile) {
    if (!profiles.some((p) => p.commands.some((c) => c.name === command)))
      throw invalid(`no device profile has a command "${command}"`);
    return;
  }
  const cmd = profile.commands.find((c) => c.name === command);
  if (!cmd)
    throw invalid(
      `${deviceId} (profile ${profile.id}) has no command "${command}" (have: ${profile.commands.map((c) => c.name).join(', ') || 'none'})`,
    );
  if (cmd.value !== undefined) {
    if (value !== undefined) throw invalid(`${command} takes no value`);
    return;
  }
  if (value === undefined) throw invalid(`${command}: needs a numeric value`);
  if ((cmd.min !== undefined && value < cmd.min) || (cmd.max !== undefined && value > cmd.max))
    throw invalid(`${command}: ${value} is outside ${cmd.min ?? '-inf'}..${cmd.max ?? 'inf'}`);
}

function invalid(message: string): GridlinkError {
  return new GridlinkError('GL_COMMAND_INVALID', message);
}
