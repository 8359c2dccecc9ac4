import { z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import type { Principal } from '../../access/index.js';
import { ALL_COMPANIES, type EvRuntime, listPoints, type PointView } from '../../ev/index.js';
import { pontoOf, reservaOf, type SeedAConfig } from '../../legacy/index.js';
import type { Schema } from '../../storage/index.js';
import { type AppEnv, requireAuth } from '../auth.js';
import { clientAddress } from '../client-address.js';
import { httpError } from '../errors.js';
import { jsonBody } from '../json-body.js';
import { openApiApp } from '../openapi-app.js';
import { policyRoute } from '../route-policy.js';
import { errorResponses, json } from '../schemas.js';
import { actorOf } from './reservations.js';

type ReservationEngine = EvRuntime['reservations'];
type ReservationActor = NonNullable<Parameters<ReservationEngine['book']>[1]>;

/** The principal of an anonymous seed A client (only inside this sub-app, only when enabled). */
const ANONYMOUS: Principal = Object.freeze({
  role: 'driver',
  subject: null,
  tokenId: 'seed-a-anonymous',
});
const isAnonymous = (who: Principal) => who.tokenId === ANONYMOUS.tokenId;

const Ponto = z
  .object({
    id: z.number().int().openapi({ description: 'The point id (`ponto_id` everywhere)' }),
    nome: z.string(),
    estacao_id: z.number().int(),
    estacao: z.string(),
    localizacao: z.object({ latitude: z.number(), longitude: z.number() }),
    disponivel: z.boolean(),
    em_manutencao: z.boolean(),
    ativo: z.boolean(),
    estado: z.string().openapi({ description: 'OCPP status of the charger (unknown: none bound)' }),
  })
  .openapi('SeedAPonto');

const Reserva = z
  .object({
    id: z.number().int(),
    ponto_id: z.number().int(),
    placa: z.string().nullable(),
    status: z.string().openapi({ description: 'PENDING, RESERVED, FULFILLED, CANCELED, NO_SHOW…' }),
    inicio: z.string().datetime(),
    fim: z.string().datetime(),
    motivo: z.string().nullable(),
  })
  .openapi('SeedAReserva');

const security = [{ bearer: [] }];
const tags = ['seed A'];

const statusRoute = policyRoute({
  method: 'get',
  path: '/status',
  tags,
  summary: "Seed A: the server's status and its points' availability counts",
  security,
  policy: { resource: 'station', action: 'list' },
  responses: {
    200: json(
      z.object({
        status: z.literal('online'),
        servidor: z.string(),
        pontos: z.number().int(),
        pontos_disponiveis: z.number().int(),
        pontos_em_manutencao: z.number().int(),
        timestamp: z.string().datetime(),
      }),
      'Online',
    ),
    ...errorResponses,
  },
});

const pontosRoute = policyRoute({
  method: 'get',
  path: '/pontos',
  tags,
  summary: 'Seed A: every charging point with `disponivel` and `em_manutencao`',
  security,
  policy: { resource: 'station', action: 'list' },
  responses: { 200: json(z.array(Ponto), 'The points'), ...errorResponses },
});

const reservarRoute = policyRoute({
  method: 'post',
  path: '/reservas',
  tags,
  summary:
    'Seed A: book a point for a car (default: from now, `defaultMinutes` long). 409 GL_EV_SLOT_TAKEN with the next free slots when taken',
  security,
  policy: { resource: 'reservation', action: 'create' },
  request: {
    body: {
      content: {
        'application/json': {
          schema: z
            .object({
              ponto_id: z.number().int().min(1).max(2_147_483_647),
              placa: z.string().min(1).max(16),
              inicio: z.string().datetime({ offset: true }).optional(),
              fim: z.string().datetime({ offset: true }).optional(),
              duracao_minutos: z.number().int().min(1).max(1440).optional(),
            })
            .strict(),
        },
      },
      required: true,
    },
  },
  responses: {
    201: json(Reserva, 'Booked'),
    409: json(z.object({ error: z.object({ code: z.string() }) }), 'The slot is taken'),
    ...errorResponses,
  },
});

const reservasRoute = policyRoute({
  method: 'get',
  path: '/reservas',
  tags,
  summary:
    "Seed A: bookings, newest first (a driver's own; an anonymous client's: those made anonymously)",
  security,
  policy: { resource: 'reservation', action: 'list' },
  responses: { 200: json(z.array(Reserva), 'Bookings'), ...errorResponses },
});

export interface SeedADeps {
  db: Kysely<Schema>;
  reservations: ReservationEngine;
  config: SeedAConfig;
  now: () => Date;
  trustedProxies: ReadonlySet<string>;
  maxBodyBytes: number;
}

/** Every point of every company, in id order (seed A served one network). */
async function allPoints(db: Kysely<Schema>): Promise<PointView[]> {
  const out: PointView[] = [];
  for (;;) {
    const page = await listPoints(db, ALL_COMPANIES, { limit: 500, after: out.at(-1)?.id });
    out.push(...page);
    if (page.length < 500) return out;
  }
}

/**
 * Seed A's REST face (docs/EV.md, "Seed A") at its original paths on the central's HTTP server:
 * `GET /status`, `GET /pontos`, `POST /reservas`, `GET /reservas`, in the seed's field names,
 * over GridLink's network and reservation engine (no double booking, bookings released).
 */
export function seedARoutes(deps: SeedADeps) {
  const app = openApiApp();
  const auth = requireAuth(deps.db, deps.now);
  const sources = new Set(deps.config.anonymousSources);
  const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.header('authorization') !== undefined) return auth(c, next);
    const peer = clientAddress(c, deps.trustedProxies);
    const plain = peer?.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
    if (deps.config.anonymous && plain !== undefined && sources.has(plain)) {
      c.set('principal', ANONYMOUS);
      return next();
    }
    throw httpError('GL_UNAUTHORIZED', 'a bearer token is required');
  };
  // Only on seed A's own paths: this sub-app is mounted at the root.
  app.use('/reservas', bodyLimit({ maxSize: deps.maxBodyBytes }), jsonBody());

  app.openapi(
    { ...statusRoute, middleware: [authenticate, ...statusRoute.middleware] },
    async (c) => {
      const points = await allPoints(deps.db);
      return c.json(
        {
          status: 'online' as const,
          servidor: 'gridlink-central',
          pontos: points.length,
          pontos_disponiveis: points.filter((p) => p.available).length,
          pontos_em_manutencao: points.filter((p) => p.maintenance.on).length,
          timestamp: deps.now().toISOString(),
        },
        200,
      );
    },
  );

  app.openapi(
    { ...pontosRoute, middleware: [authenticate, ...pontosRoute.middleware] },
    async (c) => {
      const points = await allPoints(deps.db);
      const ids = [...new Set(points.map((p) => p.stationId))];
      const rows = ids.length
        ? await deps.db
            .selectFrom('ev_stations')
            .select(['id', 'name', 'latitude', 'longitude'])
            .where('id', 'in', ids)
            .execute()
        : [];
      const stations = new Map(
        rows.map((s) => [
          Number(s.id),
          { name: s.name, latitude: s.latitude, longitude: s.longitude },
        ]),
      );
      return c.json(
        points.map((p) => pontoOf(p, stations.get(p.stationId))),
        200,
      );
    },
  );

  app.openapi(
    { ...reservarRoute, middleware: [authenticate, ...reservarRoute.middleware] },
    async (c) => {
      const body = c.req.valid('json');
      const who = c.get('principal');
      const actor: ReservationActor = isAnonymous(who)
        ? { kind: 'system', label: 'seed-a:anonymous' }
        : actorOf(who);
      if (actor.kind === 'driver' && actor.driverId === 0)
        throw httpError('GL_NOT_FOUND', 'the token names no driver');
      // "Now" in whole seconds (bookings are second-granular), the next second when mid-second.
      const start = body.inicio
        ? new Date(body.inicio)
        : new Date(Math.ceil(deps.now().getTime() / 1000) * 1000);
      const end = body.fim
        ? new Date(body.fim)
        : new Date(start.getTime() + (body.duracao_minutos ?? deps.config.defaultMinutes) * 60_000);
      const view = await deps.reservations.book(
        {
          pointId: body.ponto_id,
          plate: body.placa,
          driverId: actor.kind === 'driver' ? actor.driverId : null,
          start,
          end,
          source: 'seed-a',
        },
        actor,
      );
      return c.json(reservaOf(view), 201);
    },
  );

  app.openapi(
    { ...reservasRoute, middleware: [authenticate, ...reservasRoute.middleware] },
    async (c) => {
      const who = c.get('principal');
      const anonymous = isAnonymous(who);
      const actor: ReservationActor = anonymous
        ? { kind: 'system', label: 'seed-a:anonymous' }
        : actorOf(who);
      const items = await deps.reservations.list({ limit: 500 }, actor);
      return c.json(items.filter((r) => !anonymous || r.source === 'seed-a').map(reservaOf), 200);
    },
  );
  return app;
}
