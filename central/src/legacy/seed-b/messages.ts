import { ID_PATTERN } from '@gridlink/shared';
import { z } from 'zod';

/**
 * Seed B's wire (SEEDS.md B), field names as the original client has them. Pure: no I/O.
 *
 * Requests (JSON, on the server's topics):
 * - `server/postos/request` `{request_id, client_id, server_id}`;
 * - `server/postos/reserva` `{request_id, client_id, server_id, carro:{placa, modelo,
 *   capacidade_bateria, nivel_bateria_atual, taxa_descarga}, posto_id}`.
 * Answers (JSON, under the client's own subtree):
 * - `client/{client_id}/postos/response` `{request_id, postos:[...]}`;
 * - `client/{client_id}/postos/reserva/response` `{request_id, status, mensagem}`.
 * Keys the seed does not name are ignored (an unchanged client may send more).
 */
export const LIST_TOPIC = 'server/postos/request';
export const RESERVE_TOPIC = 'server/postos/reserva';
export const listAnswerTopic = (clientId: string) => `client/${clientId}/postos/response`;
export const reserveAnswerTopic = (clientId: string) =>
  `client/${clientId}/postos/reserva/response`;

/** Client ids other principals use (broker/principals.ts RESERVED_CLIENT_ID): never answered. */
const RESERVED = /^(edge-|central|refused-)/;

/** A request id as the client sent it (echoed back unchanged): text or an integer. */
const requestId = z.union([
  z.string().min(1).max(128),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
]);

const header = z.object({
  request_id: requestId,
  // A topic level of our answer: an id the broker's station rule accepts, so no `+`, `#` or `/`.
  client_id: z
    .string()
    .regex(ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 . _ -')
    .refine((id) => !RESERVED.test(id), 'is a client id of another principal'),
  server_id: z.string().min(1).max(64),
});
export type RequestHeader = z.output<typeof header>;

const carro = z.object({
  placa: z.string().min(1).max(16),
  modelo: z.string().max(100).optional(),
  capacidade_bateria: z.number().nonnegative().max(1000).optional(),
  nivel_bateria_atual: z.number().min(0).max(100).optional(),
  taxa_descarga: z.number().nonnegative().max(1000).optional(),
});

const reserveBody = z.object({
  carro,
  // The original sent the id it got from the list (a number); text digits are taken too.
  posto_id: z.union([
    z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    z
      .string()
      .regex(/^[1-9][0-9]{0,15}$/)
      .transform(Number),
  ]),
});

export interface ReserveRequest extends RequestHeader {
  carro: z.output<typeof carro>;
  posto_id: number;
}

export type Parsed<T> =
  | { ok: true; value: T }
  /** `header` is set when the request names who to answer (a reserve whose body is bad). */
  | { ok: false; message: string; header?: RequestHeader };

function json(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

function problem(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'invalid';
}

/** The header of either request; a request without one cannot be answered. */
export function parseHeader(payload: Buffer): Parsed<RequestHeader> {
  const body = json(payload);
  if (body === undefined) return { ok: false, message: 'not JSON' };
  const parsed = header.safeParse(body);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, message: problem(parsed.error) };
}

/** A reserve request: its header, then the car and the station. */
export function parseReserve(payload: Buffer): Parsed<ReserveRequest> {
  const head = parseHeader(payload);
  if (!head.ok) return head;
  const parsed = reserveBody.safeParse(json(payload));
  if (!parsed.success) return { ok: false, message: problem(parsed.error), header: head.value };
  return { ok: true, value: { ...head.value, ...parsed.data } };
}

/** One station as the list shows it (docs/LEGACY-SEED-B.md, "Fields"). */
export interface Posto {
  id: number;
  nome: string;
  localizacao: string;
  potencia_maxima: number;
  tipo_conector: string;
  preco_kwh: number | null;
  disponivel: boolean;
  em_manutencao: boolean;
}

export function listAnswer(requestIdValue: RequestHeader['request_id'], postos: Posto[]): string {
  return listAnswerWith(requestIdValue, JSON.stringify(postos));
}

/**
 * The list answer around `postos` already serialized (`JSON.stringify(Posto[])`): the same text
 * as `JSON.stringify({request_id, postos})`, the array serialized once for many answers.
 */
export function listAnswerWith(
  requestIdValue: RequestHeader['request_id'],
  postosJson: string,
): string {
  return `{"request_id":${JSON.stringify(requestIdValue)},"postos":${postosJson}}`;
}

export function reserveAnswer(
  requestIdValue: RequestHeader['request_id'],
  status: 'sucesso' | 'erro',
  mensagem: string,
): string {
  return JSON.stringify({ request_id: requestIdValue, status, mensagem });
}
