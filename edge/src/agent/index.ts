export { AGENT_VERSION, type EdgeAgent, type StartEdgeOptions, startEdge } from './edge-agent.js';
export { ReadingSink } from './reading-sink.js';
export {
  mergeDesired,
  RemoteConfig,
  type RemoteConfigOptions,
} from './remote-config.js';
