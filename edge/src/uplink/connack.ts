import type { ErrorCode } from '@gridlink/shared';

/**
 * CONNACK return codes that refuse a connection, MQTT 3.1.1 §3.2.2.3 (Table 3.1), and the MQTT 5
 * reason codes the same refusals carry (§3.2.2.2).
 */
const refusals: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
  133: 'client identifier not valid',
  134: 'bad user name or password',
  135: 'not authorized',
  136: 'server unavailable',
  137: 'server busy',
  138: 'banned',
};

/** The name of a refusing CONNACK code (a code the table lacks is named by its number). */
export function connackReason(code: number): string {
  return refusals[code] ?? `refused (code ${code})`;
}

/** A refusal of the edge's credentials: 4/5 (3.1.1), 0x86/0x87 (MQTT 5). */
export function connackErrorCode(code: number): ErrorCode | undefined {
  return code === 4 || code === 5 || code === 0x86 || code === 0x87
    ? 'GL_MQTT_AUTH_FAILED'
    : undefined;
}

/** The error mqtt.js emits after a refusing CONNACK (`Connection refused: …`, numeric code). */
export function isConnackRefusal(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' && err.message.startsWith('Connection refused');
}
