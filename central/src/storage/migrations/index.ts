import type { Migration, MigrationProvider } from 'kysely/migration';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-customers.js';
import * as m0003 from './0003-consumption.js';
import * as m0004 from './0004-invoices.js';
import * as m0005 from './0005-alarms.js';
import * as m0006 from './0006-consumption-runs.js';
import * as m0007 from './0007-quarantine.js';
import * as m0008 from './0008-login-throttle.js';
import * as m0009 from './0009-devices.js';
import * as m0010 from './0010-mqtt-credentials.js';
import * as m0011 from './0011-control-plane.js';
import * as m0012 from './0012-interval-metering.js';
import * as m0013 from './0013-pending-devices.js';
import * as m0014 from './0014-job-leases.js';
import * as m0015 from './0015-invoice-numbers.js';
import * as m0016 from './0016-webhooks.js';
import * as m0017 from './0017-ev-network.js';
import * as m0018 from './0018-ev-cars.js';
import * as m0019 from './0019-ev-reservations.js';
import * as m0020 from './0020-ev-sessions.js';
import * as m0021 from './0021-ev-trips.js';
import * as m0022 from './0022-federation-participant.js';
import * as m0023 from './0023-federation-coordinator.js';
import * as m0024 from './0024-readings-partitions.js';

/** Migrations in code, in order. Append; never edit one that has shipped. */
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-customers': m0002,
  '0003-consumption': m0003,
  '0004-invoices': m0004,
  '0005-alarms': m0005,
  '0006-consumption-runs': m0006,
  '0007-quarantine': m0007,
  '0008-login-throttle': m0008,
  '0009-devices': m0009,
  '0010-mqtt-credentials': m0010,
  '0011-control-plane': m0011,
  '0012-interval-metering': m0012,
  '0013-pending-devices': m0013,
  '0014-job-leases': m0014,
  '0015-invoice-numbers': m0015,
  '0016-webhooks': m0016,
  '0017-ev-network': m0017,
  '0018-ev-cars': m0018,
  '0019-ev-reservations': m0019,
  '0020-ev-sessions': m0020,
  '0021-ev-trips': m0021,
  '0022-federation-participant': m0022,
  '0023-federation-coordinator': m0023,
  '0024-readings-partitions': m0024,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
