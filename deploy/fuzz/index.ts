export { BYTE_MUTATIONS, type ByteMutation, mutateBytes } from './byte-mutations.js';
export { JSON_MUTATIONS, type JsonMutation, mutateJson } from './json-mutations.js';
export {
  framedLines,
  type MeterIdentities,
  TCP_LINE_CLASSES,
  tcpConnectionCase,
  UDP_CLASSES,
  udpCase,
} from './meter-cases.js';
export {
  CLIENT_PACKETS,
  encodePacket,
  type MqttIdentities,
  type MqttScript,
  mqttScript,
  SERVER_PACKETS,
  scriptPackets,
} from './mqtt-packets.js';
export { HTTP_CLASSES, httpCase, operationsOf } from './openapi-cases.js';
export { caseRng, caseSeed, Rng } from './rng.js';
export { type FuzzFailure, formatFailure, formatTally, type Tally } from './tally.js';
export { type EdgeListenersFuzzReport, fuzzEdgeListeners } from './targets/edge-listeners.js';
export { fuzzHttpApi, type HttpFuzzReport } from './targets/http-api.js';
export { FUZZ_CENTRAL_CONFIG, fuzzMqttBroker, type MqttFuzzReport } from './targets/mqtt-broker.js';
export { fuzzTelemetry, type TelemetryFuzzReport } from './targets/telemetry.js';
export { TELEMETRY_CLASSES, telemetryCase } from './telemetry-cases.js';
