export { deepFreeze, looseObjectPaths } from './strict.js';
