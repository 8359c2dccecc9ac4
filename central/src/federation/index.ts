export * from './config.js';
export * from './participant/index.js';
export * from './wire.js';
