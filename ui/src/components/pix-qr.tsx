import { useEffect, useRef } from 'preact/hooks';
import { getText } from '../api/index.js';

const ALLOWED = new Set(['svg', 'path', 'rect', 'g']);

/**
 * The invoice's Pix QR code, as the central encodes it (GET /invoices/{id}/pix.svg, the same
 * encoder as the printable invoice). The SVG is parsed, checked to hold only shapes (no script,
 * no link, no event attribute) and inserted: no inline HTML, no blob URL, nothing the CSP must allow.
 */
export function PixQr(props: { invoiceId: number; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let current = true;
    getText(`/invoices/${props.invoiceId}/pix.svg`, 'image/svg+xml').then((text) => {
      const el = box.current;
      if (!current || !el) return;
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const svg = doc.documentElement;
      const safe = [svg, ...svg.querySelectorAll('*')].every(
        (n) =>
          ALLOWED.has(n.localName) && [...n.attributes].every((a) => !/^on|href$/i.test(a.name)),
      );
      if (!safe || svg.localName !== 'svg') return;
      svg.setAttribute('role', 'img');
      svg.setAttribute('aria-label', props.label);
      svg.setAttribute('width', '240');
      svg.setAttribute('height', '240');
      el.replaceChildren(document.importNode(svg, true));
    });
    return () => {
      current = false;
    };
  }, [props.invoiceId, props.label]);
  return <div ref={box} class="qr" data-testid="pix-qr" />;
}
