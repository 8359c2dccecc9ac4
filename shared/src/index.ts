export * from './cli/index.js';
export * from './errors/index.js';
export * from './net/index.js';
export * from './profiles/index.js';
export * from './random/index.js';
export * from './registers/index.js';
export * from './topics/index.js';
export * from './wire/index.js';
