/** The charging network (docs/EV.md, "Network"): companies, stations, points, connectors, import. */
export {
  COMPANY_ID,
  type CompanyView,
  checkTariff,
  createCompany,
  ensureCompany,
  getCompany,
  listCompanies,
} from './companies.js';
export {
  type ConnectorSpec,
  type ConnectorStandard,
  connectorSpec,
  connectorStandards,
  DEFAULT_CONNECTOR,
  MAX_CONNECTOR_POWER_W,
  parseConnectorText,
} from './connector-spec.js';
export { type CsvDefect, type CsvParse, type CsvRecord, parseCsv } from './csv.js';
export {
  type ImportFormat,
  type ImportIssue,
  importFormats,
  MAX_POINTS_PER_STATION,
  type NetworkRow,
  readNetworkRows,
} from './import-formats.js';
export { type ImportReport, type ImportRequest, importNetwork } from './import-network.js';
export {
  addConnector,
  addPoint,
  getPoint,
  listPoints,
  type NewPoint,
  type PointPatch,
  updateConnector,
  updatePoint,
} from './points.js';
export {
  type PublicAvailability,
  type PublicPointStatus,
  type PublicPointView,
  type PublicStationView,
  publicAvailability,
  publicPointStatus,
} from './public-availability.js';
export { ALL_COMPANIES, inScope, type NetworkScope, networkScope } from './scope.js';
export {
  createStation,
  getStation,
  listStations,
  type NewStation,
  type StationDetail,
  type StationFilter,
  type StationPatch,
  type StationView,
  updateStation,
} from './stations.js';
export {
  type ConnectorView,
  distanceKm,
  isAvailable,
  type PointView,
} from './views.js';
