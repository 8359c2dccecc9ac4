import { z } from '@hono/zod-openapi';
import type { Principal } from '../../access/index.js';
import {
  type FederationConfig,
  type FederationCoordinatorRuntime,
  peerOfSubject,
  toTransactionView,
  transactionStates,
  transactionView,
  txId,
} from '../../federation/index.js';
import { httpError } from '../errors.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, security } from '../schemas.js';

const tags = ['federation'];

const getRoute = policyRoute({
  method: 'get',
  path: '/transactions/{txId}',
  tags,
  summary:
    'A transaction this central coordinates: the decision and each branch (staff; a peer only for a transaction where it holds a branch) (docs/FEDERATION.md)',
  security,
  policy: { resource: 'federation', action: 'read' },
  request: {
    params: z.object({ txId: txId.describe('The transaction id (a UUID)') }),
  },
  responses: { 200: json(transactionView, 'The transaction'), ...errorResponses },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/transactions',
  tags,
  summary:
    'Transactions this central coordinates, newest first, by state (staff; a peer sees those where it holds a branch)',
  security,
  policy: { resource: 'federation', action: 'list' },
  request: {
    query: z.object({
      state: z.enum(transactionStates).optional().describe('Only transactions in this state'),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(transactionView) }), 'Transactions'),
    ...errorResponses,
  },
});

/** A peer reads only the transactions it takes part in; staff read all. */
function peerScope(config: FederationConfig, who: Principal): { peer?: string } {
  return who.role === 'peer' ? { peer: peerOfSubject(config, who.subject) } : {};
}

/**
 * `/api/v1/federation/transactions`, the coordinator's side (docs/FEDERATION.md): the decision
 * log for our staff, and for a participant (its peer token) the transactions where it holds a
 * branch, so it can settle a hold by itself before it lapses.
 */
export function federationCoordinatorRoutes(rt: FederationCoordinatorRuntime) {
  const { config } = rt;
  const app = openApiApp();
  app.openapi(getRoute, async (c) => {
    const { txId: id } = c.req.valid('param');
    const scope = peerScope(config, c.get('principal'));
    const tx = await rt.coordinator.get(id);
    if (!tx || (scope.peer && !tx.branches.some((b) => b.peer === scope.peer)))
      throw httpError('GL_NOT_FOUND', `transaction ${id} not found`);
    return c.json(toTransactionView(tx), 200);
  });
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const items = await rt.coordinator.list({
      ...(q.state ? { state: q.state } : {}),
      ...peerScope(config, c.get('principal')),
      limit: q.limit,
    });
    return c.json({ items: items.map(toTransactionView) }, 200);
  });
  return app;
}
