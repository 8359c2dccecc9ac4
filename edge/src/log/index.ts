export { type OpenReadingLogOptions, openReadingLog } from './level-reading-log.js';
export { createMemoryReadingLog, type MemoryReadingLogOptions } from './memory-reading-log.js';
export type {
  AppendResult,
  EncodedReadings,
  NewReading,
  ReadingLog,
  ReadingLogBounds,
  ReadingLogStats,
  SideWrites,
} from './types.js';
