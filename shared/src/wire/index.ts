export * from './commands.js';
export { parseJsonPayload, parseJsonText } from './parse.js';
export * from './payload-encoding.js';
export * from './provisioning.js';
export * from './reading-window.js';
export * from './status.js';
export * from './telemetry.js';
export { acceptTelemetryBatch } from './telemetry-check.js';
