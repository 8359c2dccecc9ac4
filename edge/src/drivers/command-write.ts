import { encodeField, GridlinkError, type Profile } from '@gridlink/shared';
import type { WriteRequest } from '../modbus/index.js';

/**
 * Resolves a profile's named command to one Modbus write (pure: no I/O). A fixed command value
 * wins; otherwise the caller's value, checked against the command's bounds, is encoded with the
 * field's type, order and scale. Holding registers are written with fn 16 (Modbus Application
 * Protocol v1.1b3 §6.12) unless the field says the device takes only fn 6, write single register
 * (§6.6; e.g. KEBA's control registers); coils with fn 5 (§6.5).
 */
export function commandWrite(
  profile: Profile,
  command: string,
  value: number | undefined,
  unitId: number,
  timeoutMs: number,
): WriteRequest {
  const cmd = profile.commands.find((c) => c.name === command);
  if (!cmd) {
    throw new GridlinkError(
      'GL_COMMAND_INVALID',
      `profile ${profile.id} has no command "${command}" (have: ${profile.commands.map((c) => c.name).join(', ') || 'none'})`,
    );
  }
  const field = profile.fields.find((f) => f.name === cmd.field);
  if (!field?.writable) {
    throw new GridlinkError('GL_COMMAND_INVALID', `${command}: field ${cmd.field} is not writable`);
  }
  const v = cmd.value ?? value;
  if (v === undefined || !Number.isFinite(v)) {
    throw new GridlinkError('GL_COMMAND_INVALID', `${command}: needs a numeric value`);
  }
  if ((cmd.min !== undefined && v < cmd.min) || (cmd.max !== undefined && v > cmd.max)) {
    throw new GridlinkError(
      'GL_COMMAND_INVALID',
      `${command}: ${v} is outside ${cmd.min ?? '-inf'}..${cmd.max ?? 'inf'}`,
    );
  }
  if (field.fn === 1) return { unitId, fn: 5, start: field.address, data: [v !== 0], timeoutMs };
  if (field.fn !== 3) {
    throw new GridlinkError('GL_COMMAND_INVALID', `${command}: fn ${field.fn} is read-only`);
  }
  let data: Buffer;
  try {
    data = encodeField(field, v);
  } catch (err) {
    throw new GridlinkError('GL_COMMAND_INVALID', `${command}: ${(err as Error).message}`);
  }
  return { unitId, fn: field.writeFn ?? 16, start: field.address, data, timeoutMs };
}
