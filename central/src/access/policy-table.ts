import type { Principal, Role } from './principals.js';

/**
 * What is protected. `self` is the caller's own sign-in (the token it presents, a customer's
 * password). `station` is the charging network: companies, stations, points, connectors.
 */
export const resources = [
  'customer',
  'meter',
  'invoice',
  'alarm',
  'edge',
  'device-command',
  'desired-config',
  'token',
  'mqtt-credential',
  'quarantine',
  'webhook',
  'station',
  'car',
  'driver',
  'reservation',
  'charging-session',
  'trip',
  'federation',
  'self',
] as const;
export type Resource = (typeof resources)[number];

/**
 * What is done to it. `act` is an operation that is not a plain write: acknowledging an alarm
 * (its `update` is clearing it, staff only).
 */
export const actions = ['read', 'list', 'create', 'update', 'delete', 'act'] as const;
export type Action = (typeof actions)[number];

/** `all`: any object; `own`: only those the principal owns (others look absent: 404); `none`. */
export type Grant = 'all' | 'own' | 'none';

type Row = Readonly<Record<Action, Grant>>;

/** One row of grants, in the order of `actions`: read, list, create, update, delete, act. */
const row = (read: Grant, list: Grant, create: Grant, update: Grant, del: Grant, act: Grant): Row =>
  Object.freeze({ read, list, create, update, delete: del, act });

const NONE = row('none', 'none', 'none', 'none', 'none', 'none');

/**
 * The access table: resource × role × action, every cell explicit. Tested cell by cell
 * (access-table.test.ts); docs/SECURITY.md "Access" says it in prose.
 */
export const ACCESS: Readonly<Record<Resource, Readonly<Record<Role, Row>>>> = Object.freeze({
  //                          read    list    create  update  delete  act
  customer: {
    admin: /*              */ row('all', 'all', 'all', 'all', 'none', 'none'),
    operator: /*           */ row('all', 'all', 'all', 'all', 'none', 'none'),
    customer: /*           */ row('own', 'own', 'none', 'none', 'none', 'none'),
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  // update = bind to / unbind from a customer; meters are created by the ingest.
  meter: {
    admin: /*              */ row('all', 'all', 'none', 'all', 'none', 'none'),
    operator: /*           */ row('all', 'all', 'none', 'all', 'none', 'none'),
    customer: /*           */ row('own', 'own', 'none', 'none', 'none', 'none'),
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  // create = close a billing period (issues invoices).
  invoice: {
    admin: /*              */ row('all', 'all', 'all', 'none', 'none', 'none'),
    operator: /*           */ row('all', 'all', 'none', 'none', 'none', 'none'),
    customer: /*           */ row('own', 'own', 'none', 'none', 'none', 'none'),
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  // act = acknowledge; update = clear.
  alarm: {
    admin: /*              */ row('all', 'all', 'none', 'all', 'none', 'all'),
    operator: /*           */ row('all', 'all', 'none', 'all', 'none', 'all'),
    customer: /*           */ row('own', 'own', 'none', 'none', 'none', 'own'),
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  // create = register an edge or rotate its MQTT secret.
  edge: {
    admin: /*              */ row('all', 'all', 'all', 'none', 'none', 'none'),
    operator: /*           */ row('all', 'all', 'none', 'none', 'none', 'none'),
    customer: NONE,
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  'device-command': {
    admin: /*              */ row('all', 'all', 'all', 'none', 'none', 'none'),
    operator: /*           */ row('all', 'all', 'all', 'none', 'none', 'none'),
    customer: NONE,
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  'desired-config': {
    admin: /*              */ row('all', 'none', 'none', 'all', 'none', 'none'),
    operator: /*           */ row('all', 'none', 'none', 'all', 'none', 'none'),
    customer: NONE,
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  // A customer's own tokens are its sessions.
  token: {
    admin: /*              */ row('all', 'all', 'all', 'none', 'all', 'none'),
    operator: NONE,
    customer: /*           */ row('own', 'own', 'none', 'none', 'own', 'none'),
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  // create = create or rotate (the secret is shown once).
  'mqtt-credential': {
    admin: /*              */ row('all', 'all', 'all', 'none', 'all', 'none'),
    operator: NONE,
    customer: NONE,
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  quarantine: {
    admin: /*              */ row('all', 'all', 'none', 'none', 'none', 'none'),
    operator: /*           */ row('all', 'all', 'none', 'none', 'none', 'none'),
    customer: NONE,
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  // Alarm webhooks (docs/ALARMS.md): operators register where alarms are sent.
  webhook: {
    admin: /*              */ row('all', 'all', 'all', 'none', 'all', 'none'),
    operator: /*           */ row('all', 'all', 'all', 'none', 'all', 'none'),
    customer: NONE,
    driver: NONE,
    service: NONE,
    peer: NONE,
  },
  // The charging network (docs/EV.md): update = edit a point, set maintenance, bind a charger.
  // An operator whose token names a company (subject) manages only that company's network.
  station: {
    admin: /*              */ row('all', 'all', 'all', 'all', 'all', 'none'),
    operator: /*           */ row('all', 'all', 'all', 'all', 'none', 'none'),
    customer: NONE,
    driver: /*             */ row('all', 'all', 'none', 'none', 'none', 'none'),
    service: NONE,
    peer: NONE,
  },
  // act = issue or rotate the car's MQTT secret (shown once).
  car: {
    admin: /*              */ row('all', 'all', 'all', 'all', 'all', 'all'),
    operator: /*           */ row('all', 'all', 'all', 'all', 'all', 'all'),
    customer: NONE,
    driver: /*             */ row('own', 'own', 'own', 'own', 'own', 'own'),
    service: NONE,
    peer: NONE,
  },
  driver: {
    admin: /*              */ row('all', 'all', 'all', 'all', 'none', 'none'),
    operator: /*           */ row('all', 'all', 'all', 'all', 'none', 'none'),
    customer: NONE,
    driver: /*             */ row('own', 'none', 'none', 'own', 'none', 'none'),
    service: NONE,
    peer: NONE,
  },
  // create = book; update = cancel; act = confirm a held booking.
  reservation: {
    admin: /*              */ row('all', 'all', 'all', 'all', 'none', 'all'),
    operator: /*           */ row('all', 'all', 'all', 'all', 'none', 'all'),
    customer: NONE,
    driver: /*             */ row('own', 'own', 'own', 'own', 'none', 'own'),
    service: NONE,
    peer: NONE,
  },
  // create = start a session remotely (a driver: with its own car); act = stop one remotely.
  'charging-session': {
    admin: /*              */ row('all', 'all', 'all', 'none', 'none', 'all'),
    operator: /*           */ row('all', 'all', 'all', 'none', 'none', 'all'),
    customer: NONE,
    driver: /*             */ row('own', 'own', 'own', 'none', 'none', 'own'),
    service: NONE,
    peer: NONE,
  },
  // create = plan a trip (and optionally book its stops), re-plan, watch a point or station
  // (notify when free); delete = stop watching.
  trip: {
    admin: /*              */ row('all', 'all', 'all', 'none', 'all', 'none'),
    operator: /*           */ row('all', 'all', 'all', 'none', 'all', 'none'),
    customer: NONE,
    driver: /*             */ row('own', 'own', 'own', 'none', 'own', 'none'),
    service: NONE,
    peer: NONE,
  },
  // Booking across companies (docs/FEDERATION.md). A peer central (own = as the coordinator of
  // its own transactions): read the catalog and branches, create = try, act = confirm/cancel.
  // Staff read the transactions and branches; nobody else reaches these routes.
  federation: {
    admin: /*              */ row('all', 'all', 'none', 'none', 'none', 'none'),
    operator: /*           */ row('all', 'all', 'none', 'none', 'none', 'none'),
    customer: NONE,
    driver: NONE,
    service: NONE,
    peer: /*               */ row('own', 'own', 'own', 'none', 'none', 'own'),
  },
  // delete = sign out (revoke the presented token); update = a customer's own password.
  self: {
    admin: /*              */ row('none', 'none', 'none', 'none', 'own', 'none'),
    operator: /*           */ row('none', 'none', 'none', 'none', 'own', 'none'),
    customer: /*           */ row('none', 'none', 'none', 'own', 'own', 'none'),
    driver: /*             */ row('none', 'none', 'none', 'none', 'own', 'none'),
    service: /*            */ row('none', 'none', 'none', 'none', 'own', 'none'),
    peer: NONE,
  },
});

/** The cell of the table. */
export function grantOf(role: Role, resource: Resource, action: Action): Grant {
  return ACCESS[resource][role][action];
}

/**
 * May `who` do `action` on some `resource` at all? `own` counts: which objects it may touch is
 * the stores' business, through ownerFilter.
 */
export function can(who: Pick<Principal, 'role'>, resource: Resource, action: Action): boolean {
  return grantOf(who.role, resource, action) !== 'none';
}

/** The roles granted `action` on `resource`, with their grant (the route policy's document). */
export function grantsFor(resource: Resource, action: Action): Partial<Record<Role, Grant>> {
  const out: Partial<Record<Role, Grant>> = {};
  for (const [role, r] of Object.entries(ACCESS[resource]) as [Role, Row][])
    if (r[action] !== 'none') out[role] = r[action];
  return out;
}
