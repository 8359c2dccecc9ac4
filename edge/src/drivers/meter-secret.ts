import { createHash, timingSafeEqual } from 'node:crypto';
import { GridlinkError } from '@gridlink/shared';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * A push meter's configured shared secret. Only its SHA-256 digest is kept, and what a meter
 * sends is hashed too, so the comparison is `timingSafeEqual` over two 32-byte digests: its time
 * does not depend on where, or whether, the two differ, nor on their lengths.
 */
export class MeterSecret {
  readonly #digest: Buffer;

  constructor(secret: string) {
    this.#digest = digest(secret);
  }

  matches(given: string | undefined): boolean {
    return timingSafeEqual(this.#digest, digest(given ?? ''));
  }

  /**
   * Throws GL_METER_AUTH_FAILED unless `given` is the secret. The message names the meter,
   * never what was sent.
   */
  check(given: string | undefined, meter: string): void {
    if (!this.matches(given))
      throw new GridlinkError(
        'GL_METER_AUTH_FAILED',
        `meter ${meter}: ${given === undefined ? 'missing' : 'wrong'} secret`,
      );
  }
}

/** The secrets of the devices that have one, by device id. */
export function meterSecrets(
  devices: readonly { id: string; secret?: string | undefined }[],
): Map<string, MeterSecret> {
  const out = new Map<string, MeterSecret>();
  for (const d of devices) if (d.secret !== undefined) out.set(d.id, new MeterSecret(d.secret));
  return out;
}
