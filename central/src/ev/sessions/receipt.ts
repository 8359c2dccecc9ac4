import { GridlinkError } from '@gridlink/shared';
import { decodePix, pixQrPngDataUrl } from '../../billing/index.js';
import { type Centavos, formatBrl } from '../../money/index.js';
import type { PricedLine } from '../tariffs/price-session.js';
import type { SessionView } from './session-store.js';

/** What a driver is shown for a priced session: the lines, the total and how to pay it. */
export interface Receipt {
  sessionId: number;
  pointId: number;
  plate: string | null;
  startedAt: string;
  endedAt: string;
  timeZone: string;
  energyWh: number;
  lines: PricedLine[];
  totalCentavos: number;
  /** `R$ 45,74`. */
  total: string;
  paidAt: string | null;
  /** Null when no Pix receiver is configured (`billing.pix`) or nothing is owed. */
  pix: { payload: string; txid: string; qrPngDataUrl: string } | null;
}

/**
 * The receipt of a priced session (GL_CONFLICT while it is open or was never priced). The Pix
 * payload was made when the session was priced, with its amount and txid; it is decoded again
 * here so a receipt never shows a code that does not check.
 */
export async function buildReceipt(
  session: SessionView,
  pixPayload: string | null,
): Promise<Receipt> {
  if (session.state !== 'priced' || session.price === null || session.totalCentavos === null)
    throw new GridlinkError(
      'GL_CONFLICT',
      `session ${session.id} is ${session.state}: a receipt exists once it is priced`,
      { state: session.state },
    );
  let pix: Receipt['pix'] = null;
  if (pixPayload !== null) {
    const decoded = decodePix(pixPayload);
    pix = {
      payload: pixPayload,
      txid: decoded.txid,
      qrPngDataUrl: await pixQrPngDataUrl(pixPayload),
    };
  }
  return {
    sessionId: session.id,
    pointId: session.pointId,
    plate: session.plate,
    startedAt: session.startedAt,
    endedAt: session.endedAt ?? session.startedAt,
    timeZone: session.timeZone,
    energyWh: session.energyWh ?? 0,
    lines: session.price.lines,
    totalCentavos: session.totalCentavos,
    total: formatBrl(session.totalCentavos as Centavos),
    paidAt: session.paidAt,
    pix,
  };
}
