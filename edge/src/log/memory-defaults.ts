/**
 * LevelDB's block cache and memtable for the reading log, sized for a Raspberry Pi-class edge
 * (docs/DEPLOY.md; LevelDB's own defaults are 8 and 4 MiB). Apart from the log so the config
 * schema can name them without loading LevelDB.
 */
export const LOG_CACHE_BYTES = 1024 * 1024;
export const LOG_WRITE_BUFFER_BYTES = 1024 * 1024;
/**
 * The newest readings the log keeps in memory for the uplink (level-reading-log.ts): the default
 * batch's byte limit, nearly two default batches (5,000 readings are ~1.1 MB). Counted against the edge's RSS budget (docs/BENCHMARKS.md, edge-poll).
 */
export const LOG_TAIL_CACHE_BYTES = 2 * 1024 * 1024;
