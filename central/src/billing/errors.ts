import type { ErrorCode } from '@gridlink/shared';

/** The catalog codes billing throws; `details.reason` names the exact rule that failed. */
export const BILLING_INPUT_INVALID: ErrorCode = 'GL_BILLING_INPUT_INVALID';
/** A Pix BR Code input or payload is malformed (bad field, length, characters). */
export const PIX_INVALID: ErrorCode = 'GL_PIX_INVALID';
/** A Pix BR Code payload whose CRC16 does not match its content. */
export const PIX_CRC_MISMATCH: ErrorCode = 'GL_PIX_CRC';
