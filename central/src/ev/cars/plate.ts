import { GridlinkError } from '@gridlink/shared';

/**
 * The broker's plate rule (broker/principals.ts PLATE_PATTERN), restated: ev/ cannot import
 * broker/ (broker → config → ev would be a cycle). ev-cars.test.ts checks the two agree, and
 * migration 0018's CHECK holds the same pattern.
 */
const PLATE = /^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$/;
const PLATE_RULE = 'a plate is 3 letters, a digit, a letter or digit, 2 digits (ABC1234, ABC1D23)';

/**
 * A Brazilian plate as GridLink keys it: upper case, no dash or space; old (`ABC1234`) or
 * Mercosul (`ABC1D23`) format, the same rule the broker applies to a car's username
 * (broker/principals.ts), so a car's row, its topics and its MQTT credential name agree.
 * `abc-1d23` → `ABC1D23`. Throws GL_VALIDATION naming `field` otherwise.
 */
export function normalizePlate(input: string, field = 'plate'): string {
  const plate = input.trim().toUpperCase().replace(/[-\s]/g, '');
  const problem = PLATE.test(plate) ? undefined : PLATE_RULE;
  if (problem) throw new GridlinkError('GL_VALIDATION', `${field}: ${problem}`);
  return plate;
}

/** Whether `plate` is already in the stored form (topics must carry it exactly so). */
export function isPlate(plate: string): boolean {
  return PLATE.test(plate);
}
