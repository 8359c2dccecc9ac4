export { type Bound, type ListenOptions, listen } from './listen.js';
