export { type RunCentralOptions, runCentral } from './run-central.js';
