export { type AppDeps, createApp } from './app.js';
export { gracefulClose } from './server-drain.js';
