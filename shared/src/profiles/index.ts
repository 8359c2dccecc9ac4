export { getProfile, listProfiles, parseProfile } from './registry.js';
export { type Profile, profileCommandSchema, profileSchema } from './schema.js';
