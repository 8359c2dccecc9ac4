import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import {
  type Action,
  can,
  type Grant,
  grantsFor,
  type Resource,
  type Role,
} from '../access/index.js';
import type { AppEnv } from './auth.js';
import { httpError } from './errors.js';
import { ErrorSchema } from './schemas.js';

const bodyErrorResponses = {
  413: {
    description: 'Body larger than http.maxBodyBytes (GL_PAYLOAD_TOO_LARGE)',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  415: {
    description: 'Body not application/json (GL_PAYLOAD_MEDIA_TYPE)',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

/**
 * A route's access policy, declared in its route config: the resource and action it performs
 * (the roles and their grants come from the access table), or `public` with the reason.
 * Ownership (`own` grants) is enforced by the stores through ownerFilter: an object the caller
 * does not own looks absent (404).
 */
export type RoutePolicy =
  | { readonly resource: Resource; readonly action: Action }
  | { readonly public: string };

/** The OpenAPI extension that carries the policy into `/openapi.json`. */
export const POLICY_EXTENSION = 'x-gridlink-policy';

export type PolicyDocument =
  | { public: true; reason: string }
  | { resource: Resource; action: Action; roles: Partial<Record<Role, Grant>> };

export function describePolicy(policy: RoutePolicy): PolicyDocument {
  if ('public' in policy) return { public: true, reason: policy.public };
  return {
    resource: policy.resource,
    action: policy.action,
    roles: grantsFor(policy.resource, policy.action),
  };
}

/**
 * The middleware of a policy: 401 without a principal, 403 when the access table grants the
 * role nothing for this resource and action. `authenticate` runs first where the sub-app does
 * not authenticate every request itself (`/auth`).
 */
export function enforcePolicy(
  policy: RoutePolicy,
  authenticate?: MiddlewareHandler<AppEnv>,
): MiddlewareHandler<AppEnv> {
  if ('public' in policy) return async (_c, next) => next();
  const { resource, action } = policy;
  const check: MiddlewareHandler<AppEnv> = async (c, next) => {
    const who = c.get('principal');
    if (!who) throw httpError('GL_UNAUTHORIZED', 'a bearer token is required');
    if (!can(who, resource, action))
      throw httpError('GL_FORBIDDEN', `role ${who.role} may not ${action} ${resource}`);
    await next();
  };
  if (!authenticate) return check;
  return async (c, next) =>
    authenticate(c, async () => {
      await check(c, next);
    });
}

type PolicyRouteConfig<P extends string> = Omit<RouteConfig, 'path' | 'middleware'> & {
  path: P;
  /** The route's access policy: its one middleware and its `x-gridlink-policy`. */
  policy: RoutePolicy;
  /** Authentication for a sub-app that does not authenticate every request. */
  authenticate?: MiddlewareHandler<AppEnv>;
};

/**
 * `createRoute` with the policy declared in the config: the same declaration becomes the route's
 * middleware and the operation's `x-gridlink-policy` in the OpenAPI document (the policy walk
 * test reads it there). A route has no other role check.
 */
export function policyRoute<P extends string, R extends PolicyRouteConfig<P>>(config: R) {
  const { policy, authenticate, ...route } = config;
  return createRoute({
    ...route,
    // Every body is size-limited and JSON only: an operation that takes one can answer both.
    responses: route.request?.body
      ? { ...bodyErrorResponses, ...route.responses }
      : route.responses,
    middleware: [enforcePolicy(policy, authenticate)] as const,
    [POLICY_EXTENSION]: describePolicy(policy),
  });
}
