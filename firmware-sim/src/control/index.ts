export {
  CONTROL_API_HELP,
  type ControlServer,
  type ControlServerOptions,
  type DeviceDirectory,
  startControlServer,
} from './control-server.js';
