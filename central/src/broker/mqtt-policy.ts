/**
 * The MQTT policy without the broker: what deploy/mosquitto/generate.ts and the agreement tests
 * need (`@gridlink/central/mqtt-policy`), loading no storage, HTTP or aedes.
 */
export { type MosquittoAclInput, renderMosquittoAcl } from './mosquitto-acl.js';
export { canPublish, canSubscribe, type KindRules, MQTT_POLICY, rulesOf } from './policy.js';
export {
  type CredentialKind,
  credentialKinds,
  type MqttPrincipal,
  nameProblem,
  principalOf,
  usernameOf,
} from './principals.js';
