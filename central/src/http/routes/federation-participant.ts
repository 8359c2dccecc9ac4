import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import type { Principal } from '../../access/index.js';
import {
  branchId,
  branchKey,
  branchView,
  CORRELATION_ID_HEADER,
  cancelRequest,
  catalog,
  type ParticipantRuntime,
  REQUEST_ID_HEADER,
  tryRequest,
  txId,
} from '../../federation/index.js';
import { routeTemplate } from '../access-log.js';
import type { AppEnv } from '../auth.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { ErrorSchema, errorResponses, json, security } from '../schemas.js';

const BranchParams = z.object({
  // The wire's schemas are plain zod (built before @hono/zod-openapi extends it): describe().
  txId: txId.describe("The coordinator's transaction id (a UUID)"),
  branchId: branchId.describe("The stop's sequence number ('1', '2', …)"),
});

const conflict = (codes: string) => ({
  409: { description: codes, content: { 'application/json': { schema: ErrorSchema } } },
});

const tags = ['federation'];

const catalogRoute = policyRoute({
  method: 'get',
  path: '/catalog',
  tags,
  summary:
    'Our stations and points for a peer to plan over: usable, live state, power, tariff and live bookings ahead (docs/FEDERATION.md)',
  security,
  policy: { resource: 'federation', action: 'read' },
  responses: { 200: json(catalog, 'The catalog'), ...errorResponses },
});

const tryRoute = policyRoute({
  method: 'put',
  path: '/transactions/{txId}/branches/{branchId}',
  tags,
  summary:
    'Try: hold pointId for [start, end) for the calling coordinator (201; 200 when repeated). The hold lasts holdSeconds, capped by federation.maxHoldMinutes',
  security,
  policy: { resource: 'federation', action: 'create' },
  request: {
    params: BranchParams,
    body: { content: { 'application/json': { schema: tryRequest } }, required: true },
  },
  responses: {
    200: json(branchView, 'Tried before: the same answer'),
    201: json(branchView, 'Tried: the slot is held'),
    ...errorResponses,
    ...conflict(
      'GL_EV_SLOT_TAKEN (details.nextFree), GL_EV_POINT_NOT_BOOKABLE, GL_FED_CANCELED (its cancel came first), GL_CONFLICT (tried before for another slot)',
    ),
  },
});

const confirmRoute = policyRoute({
  method: 'post',
  path: '/transactions/{txId}/branches/{branchId}/confirm',
  tags,
  summary:
    'Confirm a tried branch (200, also when repeated); after a lapsed hold the same slot is booked again if free',
  security,
  policy: { resource: 'federation', action: 'act' },
  request: { params: BranchParams },
  responses: {
    200: json(branchView, 'Committed'),
    ...errorResponses,
    ...conflict('GL_FED_HOLD_EXPIRED (hold gone, slot taken since), GL_FED_CANCELED'),
  },
});

const cancelRoute = policyRoute({
  method: 'post',
  path: '/transactions/{txId}/branches/{branchId}/cancel',
  tags,
  summary:
    'Cancel a branch: rolled back, suspended (before its try: the late try is refused) or, with compensate, compensated (200, also when repeated)',
  security,
  policy: { resource: 'federation', action: 'act' },
  request: {
    params: BranchParams,
    body: { content: { 'application/json': { schema: cancelRequest } }, required: false },
  },
  responses: {
    200: json(branchView, 'Rolled back, suspended or compensated'),
    ...errorResponses,
    ...conflict('GL_FED_ALREADY_COMMITTED (committed: cancel with compensate: true)'),
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/transactions/{txId}/branches/{branchId}',
  tags,
  summary: "A branch's state (a peer: its own transactions' branches)",
  security,
  policy: { resource: 'federation', action: 'read' },
  request: { params: BranchParams },
  responses: { 200: json(branchView, 'The branch'), ...errorResponses },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/branches',
  tags,
  summary:
    "Branches held here, newest first: a peer's own, an operator's company's points', or all (staff)",
  security,
  policy: { resource: 'federation', action: 'list' },
  request: {
    query: z.object({
      txId: txId.optional().describe('One transaction'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: json(z.object({ items: z.array(branchView) }), 'Branches'), ...errorResponses },
});

/** An id a peer sends in X-Request-ID / X-Correlation-ID: logged, so printable and short. */
const HEADER_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * OCPI's headers (docs/FEDERATION.md): X-Request-ID per hop (one is made when absent), and
 * X-Correlation-ID end to end (the transaction id when absent). Both are echoed and go into one
 * log line per federation request, with the route template and the calling token.
 */
function federationHeaders(logger: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const given = {
      requestId: c.req.header(REQUEST_ID_HEADER),
      correlationId: c.req.header(CORRELATION_ID_HEADER),
    };
    for (const [name, value] of [
      ['X-Request-ID', given.requestId],
      ['X-Correlation-ID', given.correlationId],
    ] as const)
      if (value !== undefined && !HEADER_ID.test(value))
        throw httpError('GL_VALIDATION', `${name}: 1-128 of A-Z a-z 0-9 . _ : - (a UUID is best)`, [
          { path: name, message: 'not an id' },
        ]);
    const requestId = given.requestId ?? randomUUID();
    const pathTx = /\/transactions\/([0-9a-fA-F-]{36})\//.exec(c.req.path)?.[1];
    const correlationId = given.correlationId ?? pathTx ?? null;
    c.header('X-Request-ID', requestId);
    if (correlationId) c.header('X-Correlation-ID', correlationId);
    try {
      await next();
    } finally {
      const who = c.get('principal') as Principal | undefined;
      logger.info(
        {
          requestId,
          correlationId,
          method: c.req.method,
          route: routeTemplate(c),
          status: c.res.status,
          ...(who ? { tokenId: who.tokenId, role: who.role } : {}),
        },
        'federation request',
      );
    }
  };
}

/** The coordinator a caller speaks for: a peer's own name (configured, else 403). */
function coordinatorOf(rt: ParticipantRuntime, who: Principal): string {
  return rt.peerOf(who.subject);
}

/**
 * `/api/v1/federation`, the participant's side (docs/FEDERATION.md): a peer (the coordinator of
 * its own transactions) reads our catalog, tries, confirms and cancels branches and reads them;
 * our staff read the branches held here. The fence logic is in federation/participant.
 */
export function federationParticipantRoutes(rt: ParticipantRuntime, logger: Logger) {
  const app = openApiApp();
  app.use('*', federationHeaders(logger));
  // Every peer call names a configured peer: checked before any route reads its input.
  app.use('*', async (c, next) => {
    const who = c.get('principal');
    if (who?.role === 'peer') coordinatorOf(rt, who);
    await next();
  });
  app.openapi(catalogRoute, async (c) => c.json(await rt.catalog(), 200));
  app.openapi(tryRoute, async (c) => {
    const { txId: tx, branchId: branch } = c.req.valid('param');
    const key = branchKey(coordinatorOf(rt, c.get('principal')), tx, branch);
    const out = await rt.participant.try(key, c.req.valid('json'));
    return c.json(out.branch, out.created ? 201 : 200);
  });
  app.openapi(confirmRoute, async (c) => {
    const { txId: tx, branchId: branch } = c.req.valid('param');
    const key = branchKey(coordinatorOf(rt, c.get('principal')), tx, branch);
    return c.json(await rt.participant.confirm(key), 200);
  });
  app.openapi(cancelRoute, async (c) => {
    const { txId: tx, branchId: branch } = c.req.valid('param');
    const key = branchKey(coordinatorOf(rt, c.get('principal')), tx, branch);
    const body = (c.req.valid('json') as { compensate?: boolean } | undefined) ?? {};
    return c.json(await rt.participant.cancel(key, { compensate: body.compensate === true }), 200);
  });
  app.openapi(getRoute, async (c) => {
    const { txId: tx, branchId: branch } = c.req.valid('param');
    const who = c.get('principal');
    if (who.role === 'peer') {
      const key = branchKey(coordinatorOf(rt, who), tx, branch);
      return c.json(await rt.participant.get(key), 200);
    }
    // Staff: the path names no coordinator; a transaction id is one coordinator's UUID.
    const found = (await rt.participant.list({ txId: tx, ...staffScope(who) })).find(
      (b) => b.branchId === branch,
    );
    if (!found) throw httpError('GL_FED_BRANCH_UNKNOWN', `no branch ${branch} of ${tx}`);
    return c.json(found, 200);
  });
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const who = c.get('principal');
    const scope = who.role === 'peer' ? { coordinator: coordinatorOf(rt, who) } : staffScope(who);
    const items = await rt.participant.list({
      ...(q.txId === undefined ? {} : { txId: q.txId }),
      ...scope,
      limit: q.limit,
    });
    return c.json({ items }, 200);
  });
  return app;
}

/** An operator whose token names a company sees the branches on that company's points. */
function staffScope(who: Principal): { companyId?: string } {
  return who.role === 'operator' && who.subject !== null ? { companyId: who.subject } : {};
}
