export {
  type AuthenticatorOptions,
  anonymousStations,
  mqttAuthenticator,
} from './authenticator.js';
export { clientIdAllowed, edgeClientId } from './client-ids.js';
export {
  listMqttCredentials,
  type MqttCredentialView,
  revokeMqttCredential,
  upsertMqttCredential,
} from './credentials.js';
export {
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
  startEmbeddedBroker,
} from './embedded-broker.js';
export { type MosquittoAclInput, renderMosquittoAcl } from './mosquitto-acl.js';
export { canPublish, canSubscribe, type KindRules, MQTT_POLICY, rulesOf } from './policy.js';
export {
  type CredentialKind,
  credentialKinds,
  describePrincipal,
  type MqttPrincipal,
  nameProblem,
  type PrincipalKind,
  parseUsername,
  principalOf,
  usernameOf,
} from './principals.js';
