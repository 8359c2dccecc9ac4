export {
  backoffDelay,
  DEFAULT_WEBHOOK_SETTINGS,
  WebhookDispatcher,
  type WebhookSettings,
} from './dispatcher.js';
export { webhookAlarmPublisher } from './publisher.js';
export { SIGNATURE_HEADER, signBody, verifySignature } from './signature.js';
export {
  createWebhook,
  type DeliveryView,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
  type WebhookView,
} from './store.js';
export { isRefusedAddress, type TargetPolicy, targetProblem } from './target.js';
