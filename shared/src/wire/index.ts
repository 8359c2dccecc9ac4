export * from './telemetry.js';
export * from './status.js';
export { parseJsonPayload } from './parse.js';
