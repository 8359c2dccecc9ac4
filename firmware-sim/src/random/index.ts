export { createRandom, hash32, symmetric, uniform } from './hash-random.js';
