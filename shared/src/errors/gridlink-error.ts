import { type ErrorCode, errorCatalog } from './catalog.js';

/** An error with a stable catalog code. `details` must never carry secrets. */
export class GridlinkError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'GridlinkError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }
}

export function isGridlinkError(err: unknown, code?: ErrorCode): err is GridlinkError {
  return err instanceof GridlinkError && (code === undefined || err.code === code);
}
