import type { ErrorCode } from '@gridlink/shared';
import { clientIdAllowed } from './client-ids.js';
import { describePrincipal, type MqttPrincipal } from './principals.js';

/** CONNACK return codes a refusal uses (MQTT 3.1.1 §3.2.2.3, Table 3.1). */
export const CONNACK = {
  /** 2: the client identifier is correct UTF-8 but not allowed by the server. */
  identifierRejected: 2,
  /** 3: the network connection is made but the MQTT service is unavailable (try again later). */
  serverUnavailable: 3,
  /** 4: the data in the user name or password is malformed or wrong. */
  badUserNameOrPassword: 4,
} as const;

export type Refusal = {
  returnCode: (typeof CONNACK)[keyof typeof CONNACK];
  code: ErrorCode;
  /** For the log; the client sees only the return code. */
  message: string;
  who?: string;
  /** More fields for the log line. */
  details?: Record<string, unknown>;
  err?: Error;
};

export type ConnectVerdict =
  | { ok: true; principal: MqttPrincipal }
  | { ok: false; refusal: Refusal };

export interface ConnectRequest {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
}

/**
 * Who may connect, and under which client id: credentials first (anonymous clients are refused),
 * then the id must lie in the principal's own namespace (client-ids.ts). Runs inside aedes'
 * `authenticate`, which comes before aedes looks up, cleans or takes over the session of that id
 * (`registerClient`, MQTT-3.1.4-2), so a refusal here leaves a live session with that id alone.
 */
export async function decideConnect(
  authenticate: (username: string, password: string) => Promise<MqttPrincipal | undefined>,
  request: ConnectRequest,
  /**
   * Where the operator serves anonymous station clients (seed B, config
   * `legacy.seedB.anonymous`): the principal a CONNECT with neither username nor password becomes
   * under its client id, or undefined to refuse it. Absent: every anonymous client is refused.
   */
  anonymous?: (clientId: string) => Promise<MqttPrincipal | undefined>,
): Promise<ConnectVerdict> {
  if (anonymous && request.username === undefined && request.password === undefined)
    return decideAnonymous(anonymous, request.clientId);
  if (!request.username || !request.password)
    return refuse(CONNACK.badUserNameOrPassword, 'GL_MQTT_AUTH_FAILED', 'anonymous client refused');
  let principal: MqttPrincipal | undefined;
  try {
    principal = await authenticate(request.username, request.password.toString('utf8'));
  } catch (err) {
    return {
      ok: false,
      refusal: {
        returnCode: CONNACK.serverUnavailable,
        code: 'GL_INTERNAL',
        message: 'authentication unavailable',
        err: err as Error,
      },
    };
  }
  if (!principal)
    return refuse(CONNACK.badUserNameOrPassword, 'GL_MQTT_AUTH_FAILED', 'credentials refused');
  if (!clientIdAllowed(principal, request.clientId))
    return refuse(
      CONNACK.identifierRejected,
      'GL_MQTT_CLIENT_ID_DENIED',
      "client id outside the principal's namespace",
      describePrincipal(principal),
    );
  return { ok: true, principal };
}

async function decideAnonymous(
  anonymous: (clientId: string) => Promise<MqttPrincipal | undefined>,
  clientId: string,
): Promise<ConnectVerdict> {
  let principal: MqttPrincipal | undefined;
  try {
    principal = await anonymous(clientId);
  } catch (err) {
    return {
      ok: false,
      refusal: {
        returnCode: CONNACK.serverUnavailable,
        code: 'GL_INTERNAL',
        message: 'authentication unavailable',
        err: err as Error,
      },
    };
  }
  // A client id no station may have (another principal's namespace, a stored station's name).
  if (!principal || !clientIdAllowed(principal, clientId))
    return refuse(
      CONNACK.identifierRejected,
      'GL_MQTT_CLIENT_ID_DENIED',
      'anonymous client id refused',
    );
  return { ok: true, principal };
}

function refuse(
  returnCode: Refusal['returnCode'],
  code: ErrorCode,
  message: string,
  who?: string,
): ConnectVerdict {
  return { ok: false, refusal: { returnCode, code, message, who } };
}
