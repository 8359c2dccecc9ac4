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
] as const;

export type PagePath = (typeof PAGE_PATHS)[number];
