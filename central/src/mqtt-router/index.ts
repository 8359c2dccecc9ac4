export { aedesLink, type BrokerLink, clientLink, type Delivery } from './broker-link.js';
export { type TopicHandler, TopicRouter, type TopicRouterOptions } from './topic-router.js';
