export { canPublish, canSubscribe, type MqttPrincipal } from './acl.js';
export { clientIdAllowed, edgeClientId } from './client-ids.js';
export {
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
  startEmbeddedBroker,
} from './embedded-broker.js';
