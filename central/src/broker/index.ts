export { canPublish, canSubscribe, type MqttPrincipal } from './acl.js';
export {
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
  startEmbeddedBroker,
} from './embedded-broker.js';
