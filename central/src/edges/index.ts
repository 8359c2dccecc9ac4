export {
  type DeviceRow,
  listDevices,
  type ReadingOwner,
  recordStatusDevices,
  registerTelemetryDevices,
} from './devices.js';
export {
  type EdgeRow,
  listEdges,
  recordEdgeStatus,
  upsertEdgeCredential,
  verifyEdgeCredential,
} from './registry.js';
export { type EdgeStatusHandlerOptions, edgeStatusHandler } from './status-handler.js';
