import { GridlinkError } from '@gridlink/shared';

/** Old (`ABC1234`) or Mercosul (`ABC1D23`) plate, as ev_cars keys it (migration 0018). */
const PLATE = /^[A-Z]{3}[0-9][A-Z0-9][0-9]{2}$/;

/** A plate upper-cased without dash or spaces; GL_VALIDATION when it is no Brazilian plate. */
export function normalizePlate(input: string, path = 'plate'): string {
  const plate = input.toUpperCase().replace(/[\s-]/g, '');
  if (!PLATE.test(plate))
    throw new GridlinkError('GL_VALIDATION', `${path}: not a plate (ABC1234 or ABC1D23)`, [
      { path, message: 'not a plate' },
    ]);
  return plate;
}
