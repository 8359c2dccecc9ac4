import { desiredConfigSchema, deviceCommandSchema, idSchema } from '@gridlink/shared';
import { z } from '@hono/zod-openapi';
import type { Kysely } from 'kysely';
import {
  type ControlPlane,
  commandStates,
  configView,
  getCommand,
  listCommands,
} from '../../control/index.js';
import type { Schema } from '../../storage/index.js';
import { idCursor } from '../cursors.js';
import { httpError } from '../errors.js';
import type { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json, PageQuery, security } from '../schemas.js';

const EdgeParam = z.object({ edgeId: idSchema });
const CommandId = z
  .uuid('expected a command id (a UUID)')
  .openapi({ param: { name: 'commandId', in: 'path' } });

const Command = z
  .object({
    id: z
      .string()
      .openapi({ description: 'UUID; the id on the wire (`commands`, `commands/result`)' }),
    edgeId: z.string(),
    deviceId: z.string(),
    command: z.string(),
    value: z.number().nullable(),
    state: z.enum(commandStates).openapi({
      description:
        'pending (stored) → sent (the broker has it) → succeeded | failed (the edge answered) or expired (no answer within control.commandTimeoutMs; a late answer still lands)',
    }),
    requestedBy: z.string().openapi({ description: 'The API token id that asked' }),
    requestedAt: z.string().datetime(),
    sentAt: z.string().datetime().nullable(),
    result: z
      .object({
        code: z.string().nullable().openapi({ description: 'Catalog code of a failure' }),
        message: z.string().nullable(),
        at: z.string().datetime().openapi({ description: 'When the central received it' }),
        edgeAt: z.string().datetime().nullable().openapi({ description: "The edge's time of it" }),
      })
      .nullable(),
  })
  .openapi('DeviceCommand');

const CommandBody = z
  .object({
    command: deviceCommandSchema.shape.command,
    value: deviceCommandSchema.shape.value,
  })
  .strict()
  .openapi('DeviceCommandRequest');

/**
 * The wire document itself (shared `desiredConfigSchema`): version above every earlier one of the
 * edge; config keys the edge takes remotely (devices, buses, udp, tcpJson, keba, metrics,
 * statusIntervalMs).
 */
const ConfigBody = desiredConfigSchema;

const Config = z
  .object({
    edgeId: z.string(),
    desired: z
      .object({
        version: z.number().int(),
        config: z.record(z.string(), z.unknown()),
        setBy: z.string(),
        setAt: z.string().datetime(),
        publishedAt: z.string().datetime().nullable(),
      })
      .nullable(),
    applied: z
      .object({
        version: z.number().int().openapi({ description: 'The version the edge answered for' }),
        ok: z.boolean(),
        running: z.number().int().openapi({ description: 'The version it runs now' }),
        error: z.object({ code: z.string(), message: z.string() }).nullable(),
        edgeAt: z.string().datetime().nullable(),
        receivedAt: z.string().datetime(),
      })
      .nullable(),
    statusConfigVersion: z.number().int().nullable(),
    inSync: z.boolean(),
  })
  .openapi('EdgeConfig');

const sendRoute = policyRoute({
  method: 'post',
  path: '/{edgeId}/devices/{deviceId}/commands',
  tags: ['edges'],
  summary: 'Send a device command (stored, then published to the edge with QoS 1)',
  security,
  policy: { resource: 'device-command', action: 'create' },
  request: {
    params: EdgeParam.extend({
      deviceId: idSchema,
    }),
    body: { content: { 'application/json': { schema: CommandBody } }, required: true },
  },
  responses: { 202: json(Command, 'Stored and handed to the broker'), ...errorResponses },
});

const listRoute = policyRoute({
  method: 'get',
  path: '/{edgeId}/commands',
  tags: ['edges'],
  summary: "An edge's device commands, newest first",
  security,
  policy: { resource: 'device-command', action: 'list' },
  request: {
    params: EdgeParam,
    query: z.object({
      limit: PageQuery.shape.limit,
      cursor: idCursor(),
      deviceId: idSchema.optional(),
    }),
  },
  responses: {
    200: json(z.object({ items: z.array(Command), next: z.string().nullable() }), 'A page'),
    ...errorResponses,
  },
});

const getRoute = policyRoute({
  method: 'get',
  path: '/{edgeId}/commands/{commandId}',
  tags: ['edges'],
  summary: 'One device command with its state, result and timing',
  security,
  policy: { resource: 'device-command', action: 'read' },
  request: { params: EdgeParam.extend({ commandId: CommandId }) },
  responses: { 200: json(Command, 'The command'), ...errorResponses },
});

const putConfigRoute = policyRoute({
  method: 'put',
  path: '/{edgeId}/config',
  tags: ['edges'],
  summary: "Set an edge's desired config (versioned; published retained)",
  security,
  policy: { resource: 'desired-config', action: 'update' },
  request: {
    params: EdgeParam,
    body: { content: { 'application/json': { schema: ConfigBody } }, required: true },
  },
  responses: {
    200: json(Config, 'Stored and published; desired against applied'),
    ...errorResponses,
    409: json(
      z.object({
        error: z.object({
          code: z.literal('GL_CONFLICT'),
          message: z.string(),
          details: z.object({ desiredVersion: z.number().int() }),
        }),
      }),
      'The version is not above the newest desired version',
    ),
  },
});

const getConfigRoute = policyRoute({
  method: 'get',
  path: '/{edgeId}/config',
  tags: ['edges'],
  summary: "An edge's desired config against what it applied (and why it refused, if it did)",
  security,
  policy: { resource: 'desired-config', action: 'read' },
  request: { params: EdgeParam },
  responses: { 200: json(Config, 'Desired and applied'), ...errorResponses },
});

/**
 * Device commands and desired configs of an edge on the `/edges` sub-app (docs/WIRE.md,
 * "Commands", "Desired config"); staff work by the access table.
 */
export function addEdgeControlRoutes(
  app: ReturnType<typeof openApiApp>,
  db: Kysely<Schema>,
  control: ControlPlane,
): void {
  app.openapi(sendRoute, async (c) => {
    const { edgeId, deviceId } = c.req.valid('param');
    const body = c.req.valid('json');
    const sent = await control.sendCommand(
      edgeId,
      {
        deviceId,
        command: body.command,
        ...(body.value === undefined ? {} : { value: body.value }),
      },
      c.get('principal').tokenId,
    );
    return c.json(sent, 202);
  });
  app.openapi(listRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const { limit, cursor, deviceId } = c.req.valid('query');
    if (!(await configView(db, edgeId))) throw httpError('GL_EDGE_UNKNOWN', `no edge ${edgeId}`);
    return c.json(await listCommands(db, edgeId, { limit, before: cursor, deviceId }), 200);
  });
  app.openapi(getRoute, async (c) => {
    const { edgeId, commandId } = c.req.valid('param');
    const found = await getCommand(db, edgeId, commandId);
    if (!found) throw httpError('GL_NOT_FOUND', `edge ${edgeId} has no command ${commandId}`);
    return c.json(found, 200);
  });
  app.openapi(putConfigRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const out = await control.setDesiredConfig(
      edgeId,
      c.req.valid('json'),
      c.get('principal').tokenId,
    );
    if ('stale' in out)
      throw httpError(
        'GL_CONFLICT',
        `version must be above ${out.stale}, the newest desired version of edge ${edgeId}`,
        { desiredVersion: out.stale },
      );
    return c.json(out.view, 200);
  });
  app.openapi(getConfigRoute, async (c) => {
    const { edgeId } = c.req.valid('param');
    const view = await configView(db, edgeId);
    if (!view) throw httpError('GL_EDGE_UNKNOWN', `no edge ${edgeId}`);
    return c.json(view, 200);
  });
}
