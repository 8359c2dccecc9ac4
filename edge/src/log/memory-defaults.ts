/**
 * LevelDB's block cache and memtable for the reading log, sized for a Raspberry Pi-class edge
 * (docs/DEPLOY.md; LevelDB's own defaults are 8 and 4 MiB). Apart from the log so the config
 * schema can name them without loading LevelDB.
 */
export const LOG_CACHE_BYTES = 1024 * 1024;
export const LOG_WRITE_BUFFER_BYTES = 1024 * 1024;
