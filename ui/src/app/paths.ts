/**
 * Every page path of the UI. The build writes this list to `dist/routes.json`, and the central
 * answers these paths with `index.html` (the SPA fallback); anything else under `/` stays a 404.
 * A new page: add its path here and its component in `routes.tsx`.
 */
export const PAGE_PATHS = [
  '/',
  '/signin',
  '/history',
  '/invoice',
  '/alarms',
  // operator console (ui/src/pages/operator)
  '/operator/signin',
  '/operator',
  '/operator/edge',
  '/operator/alarms',
  '/operator/stations',
  '/operator/customers',
  // driver pages (ui/src/pages/driver) and the public availability page (ui/src/pages/public)
  '/driver/signin',
  '/driver',
  '/driver/trip',
  '/driver/reservations',
  '/driver/receipts',
  '/public/availability',
] as const;

export type PagePath = (typeof PAGE_PATHS)[number];
