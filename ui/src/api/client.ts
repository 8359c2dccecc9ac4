/**
 * The UI's only way to the central: the documented `/api/v1` (same origin), bearer token from the
 * session. Errors come back as ApiError with the catalog code (`GL_…`) of the body.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface Session {
  token: string;
  customerId: number;
  expiresAt: string;
  /** Whose pages the navigation shows; absent = a customer's (routes.tsx `area`). */
  area?: 'customer' | 'driver' | 'operator';
}

const SESSION_KEY = 'gridlink.session';

export function loadSession(): Session | null {
  const text = sessionStorage.getItem(SESSION_KEY);
  if (!text) return null;
  const session = JSON.parse(text) as Session;
  return Date.parse(session.expiresAt) > Date.now() ? session : null;
}

export function saveSession(session: Session | null): void {
  if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(SESSION_KEY);
}

/** Called when the API answers 401 to a signed-in request (expired or revoked session). */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function request(
  method: string,
  path: string,
  options: { body?: unknown; accept?: string; token?: string | null } = {},
): Promise<Response> {
  const token = options.token === undefined ? loadSession()?.token : options.token;
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (res.ok) return res;
  let error: { code?: string; message?: string; details?: Record<string, unknown> } = {};
  try {
    error = ((await res.json()) as { error?: typeof error }).error ?? {};
  } catch {
    // not a JSON error body: keep the status
  }
  // A token given explicitly (a sign-in form trying it) is not the session's: no redirect.
  if (res.status === 401 && token && options.token === undefined) onUnauthorized();
  throw new ApiError(
    res.status,
    error.code ?? `HTTP_${res.status}`,
    error.message ?? res.statusText,
    error.details,
  );
}

export async function getJson<T>(path: string, token?: string | null): Promise<T> {
  return (await (await request('GET', path, { token })).json()) as T;
}

export async function putJson<T>(path: string, body: unknown): Promise<T> {
  return (await (await request('PUT', path, { body })).json()) as T;
}

export async function postJson<T>(path: string, body: unknown, token?: string | null): Promise<T> {
  const res = await request('POST', path, { body, token });
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export async function getText(path: string, accept: string): Promise<string> {
  return (await request('GET', path, { accept })).text();
}
