export { parsePortFlag, stopRequested } from './shutdown.js';
