import type { ComponentType } from 'preact';
import type { MessageKey } from '../i18n/index.js';
import { AlarmsPage } from '../pages/alarms.js';
import { DriverCarsPage } from '../pages/driver/cars.js';
import { DriverReceiptsPage } from '../pages/driver/receipts.js';
import { DriverReservationsPage } from '../pages/driver/reservations.js';
import { DriverSignInPage } from '../pages/driver/signin.js';
import { DriverTripPage } from '../pages/driver/trip.js';
import { HistoryPage } from '../pages/history.js';
import { InvoicePage } from '../pages/invoice.js';
import { OperatorAlarmsPage } from '../pages/operator/alarms.js';
import { OperatorCustomersPage } from '../pages/operator/customers.js';
import { OperatorEdgePage } from '../pages/operator/edge.js';
import { OperatorEdgesPage } from '../pages/operator/edges.js';
import { OperatorSignInPage } from '../pages/operator/signin.js';
import { OperatorStationsPage } from '../pages/operator/stations.js';
import { PublicAvailabilityPage } from '../pages/public/availability.js';
import { SignInPage } from '../pages/signin.js';
import type { PagePath } from './paths.js';

export interface PageRoute {
  path: PagePath;
  page: ComponentType;
  /** Title and, when `nav`, the link text in the main navigation. */
  title: MessageKey;
  nav?: boolean;
  /** Pages anyone may see; the rest send a signed-out visitor to /signin. */
  public?: boolean;
  /** Whose navigation lists the page (the session's `area`); absent = the customer's. */
  area?: 'customer' | 'driver' | 'operator';
}

/** Where a signed-out visitor of an area signs in. */
export const SIGN_IN_OF: Record<NonNullable<PageRoute['area']>, string> = {
  customer: '/signin',
  driver: '/driver/signin',
  operator: '/operator/signin',
};

/**
 * The route table. `/` goes to the first page of the navigation (see app.tsx). Driver and
 * operator pages join here, each with its path in paths.ts.
 */
export const ROUTES: readonly PageRoute[] = [
  { path: '/signin', page: SignInPage, title: 'signin.title', public: true },
  { path: '/history', page: HistoryPage, title: 'nav.history', nav: true },
  { path: '/invoice', page: InvoicePage, title: 'nav.invoice', nav: true },
  { path: '/alarms', page: AlarmsPage, title: 'nav.alarms', nav: true },
  // operator console
  { path: '/operator/signin', page: OperatorSignInPage, title: 'op.signin.title', public: true },
  {
    path: '/operator',
    page: OperatorEdgesPage,
    title: 'op.nav.edges',
    nav: true,
    area: 'operator',
  },
  { path: '/operator/edge', page: OperatorEdgePage, title: 'op.nav.edge', area: 'operator' },
  {
    path: '/operator/alarms',
    page: OperatorAlarmsPage,
    title: 'op.nav.alarms',
    nav: true,
    area: 'operator',
  },
  {
    path: '/operator/stations',
    page: OperatorStationsPage,
    title: 'op.nav.stations',
    nav: true,
    area: 'operator',
  },
  {
    path: '/operator/customers',
    page: OperatorCustomersPage,
    title: 'op.nav.customers',
    nav: true,
    area: 'operator',
  },
  // driver pages
  { path: '/driver/signin', page: DriverSignInPage, title: 'dr.signin.title', public: true },
  { path: '/driver', page: DriverCarsPage, title: 'dr.nav.cars', nav: true, area: 'driver' },
  { path: '/driver/trip', page: DriverTripPage, title: 'dr.nav.trip', nav: true, area: 'driver' },
  {
    path: '/driver/reservations',
    page: DriverReservationsPage,
    title: 'dr.nav.reservations',
    nav: true,
    area: 'driver',
  },
  {
    path: '/driver/receipts',
    page: DriverReceiptsPage,
    title: 'dr.nav.receipts',
    nav: true,
    area: 'driver',
  },
  // anyone, no sign-in (and in the drivers' navigation)
  {
    path: '/public/availability',
    page: PublicAvailabilityPage,
    title: 'pub.nav',
    public: true,
    nav: true,
    area: 'driver',
  },
];
