export * from './config.js';
export * from './coordinator/index.js';
export * from './participant/index.js';
export * from './wire.js';
