import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Machine secrets (edge credentials, API tokens) are 256 random bits, so a single SHA-256 is the
 * right hash at rest: there is nothing to brute-force. Human passwords use scrypt (see passwords).
 */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

export function verifySecret(secret: string, stored: string): boolean {
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}
