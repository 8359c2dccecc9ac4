import QRCode from 'qrcode';
import { decodePix } from './br-code.js';

export interface PixQrOptions {
  /** Error correction; `M` (15 %) is what Brazilian banks print. */
  errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
  /** Module size in pixels (PNG) — default 4. */
  scale?: number;
  /** Quiet zone in modules — default 4, as ISO/IEC 18004 asks. */
  margin?: number;
}

/** Renders a checked payload to `data:image/png;base64,…`. Rejects a payload that does not decode. */
export async function pixQrPngDataUrl(
  payload: string,
  options: PixQrOptions = {},
): Promise<string> {
  decodePix(payload);
  return QRCode.toDataURL(payload, {
    type: 'image/png',
    errorCorrectionLevel: options.errorCorrectionLevel ?? 'M',
    scale: options.scale ?? 4,
    margin: options.margin ?? 4,
  });
}

/** Renders a checked payload to an SVG document string. */
export async function pixQrSvg(payload: string, options: PixQrOptions = {}): Promise<string> {
  decodePix(payload);
  return QRCode.toString(payload, {
    type: 'svg',
    errorCorrectionLevel: options.errorCorrectionLevel ?? 'M',
    margin: options.margin ?? 4,
  });
}
