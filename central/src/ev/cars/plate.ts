import { GridlinkError } from '@gridlink/shared';
import { nameProblem } from '../../broker/index.js';

/**
 * A Brazilian plate as GridLink keys it: upper case, no dash or space; old (`ABC1234`) or
 * Mercosul (`ABC1D23`) format, the same rule the broker applies to a car's username
 * (broker/principals.ts), so a car's row, its topics and its MQTT credential name agree.
 * `abc-1d23` → `ABC1D23`. Throws GL_VALIDATION naming `field` otherwise.
 */
export function normalizePlate(input: string, field = 'plate'): string {
  const plate = input.trim().toUpperCase().replace(/[-\s]/g, '');
  const problem = plate.length > 16 ? 'too long' : nameProblem('car', plate);
  if (problem) throw new GridlinkError('GL_VALIDATION', `${field}: ${problem}`);
  return plate;
}

/** Whether `plate` is already in the stored form (topics must carry it exactly so). */
export function isPlate(plate: string): boolean {
  return nameProblem('car', plate) === undefined;
}
