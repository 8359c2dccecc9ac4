export {
  type DecodedPix,
  decodePix,
  encodePix,
  hasValidPixCrc,
  PIX_GUI,
  type PixKeyType,
  type PixPayloadInput,
  pixKeyType,
  toPixText,
} from './br-code.js';
export { crc16CcittFalse, crc16Hex } from './crc16.js';
export { type PixQrOptions, pixQrPngDataUrl, pixQrSvg } from './render.js';
export { encodeTlv, encodeTlvList, parseTlv, type TlvField } from './tlv.js';
