export { moduleWorker } from './module-worker.js';
