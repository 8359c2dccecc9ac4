export { createPtyPair, type PtyPair, type PtyPairOptions } from './pty-pair.js';
