export { planBlocks, type ReadBlock } from './blocks.js';
export { type DecodedValue, decodeField, encodeField } from './codec.js';
export * from './field.js';
