export * from './config.js';
export * from './wire.js';
