import { describe, expect, it } from 'vitest';
import { encodePix, pixQrPngDataUrl, pixQrSvg } from './index.js';

const payload = encodePix({
  key: '123e4567-e12b-12d1-a456-426655440000',
  merchantName: 'Fulano de Tal',
  merchantCity: 'BRASILIA',
});

describe('Pix QR rendering', () => {
  it('renders a PNG data URL', async () => {
    const url = await pixQrPngDataUrl(payload);
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    const png = Buffer.from(url.slice('data:image/png;base64,'.length), 'base64');
    // PNG signature (ISO/IEC 15948 §5.2): 89 'P' 'N' 'G' CR LF SUB LF
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // first chunk is IHDR, 13 bytes long
    expect(png.readUInt32BE(8)).toBe(13);
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    const width = png.readUInt32BE(16);
    expect(width).toBe(png.readUInt32BE(20)); // square
    expect(width).toBeGreaterThan(100);
  });

  it('renders an SVG with a path', async () => {
    const svg = await pixQrSvg(payload);
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('<path');
    expect(svg).toContain('</svg>');
  });

  it('refuses to draw an invalid payload', async () => {
    await expect(pixQrPngDataUrl(`${payload.slice(0, -4)}0000`)).rejects.toMatchObject({
      name: 'GridlinkError',
    });
    await expect(pixQrSvg('hello')).rejects.toMatchObject({ name: 'GridlinkError' });
  });
});
