export * from './field.js';
export { type DecodedValue, decodeField, encodeField } from './codec.js';
export { planBlocks, type ReadBlock } from './blocks.js';
