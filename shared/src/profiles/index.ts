export { profileSchema, profileCommandSchema, type Profile } from './schema.js';
export { getProfile, listProfiles, parseProfile } from './registry.js';
