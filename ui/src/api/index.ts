export {
  ApiError,
  getJson,
  getText,
  loadSession,
  postJson,
  putJson,
  type Session,
  saveSession,
  setUnauthorizedHandler,
} from './client.js';
export type * from './types.js';
