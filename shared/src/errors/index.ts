export { type ErrorCode, errorCatalog, errorCodes } from './catalog.js';
export { GridlinkError, isGridlinkError } from './gridlink-error.js';
export { formatZodIssues } from './zod-issues.js';
