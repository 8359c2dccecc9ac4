/** Charging sessions from the points' live state, priced at unplug, with Pix receipts (docs/EV.md). */
export {
  type BookingSeen,
  ChargingSessions,
  type ChargingSessionsDeps,
  type SessionActor,
  type SessionCommands,
  type StartAuthorizer,
  type StartResult,
} from './charging-sessions.js';
export { type SessionsConfig, sessionsConfigSchema } from './config.js';
export { type Decision, decide, isOccupied, type OpenSession, type Reading } from './decide.js';
export { buildReceipt, type Receipt } from './receipt.js';
export { renderReceiptHtml } from './receipt-html.js';
export { type SessionScope, sessionActor, sessionScope } from './scope.js';
export { type SessionFilter, type SessionView, sessionTxid } from './session-store.js';
