export {
  type EdgeRow,
  listEdges,
  recordEdgeStatus,
  upsertEdgeCredential,
  verifyEdgeCredential,
} from './registry.js';
