import { useEffect, useRef } from 'preact/hooks';
import { getText } from '../../api/index.js';

const ALLOWED = new Set(['svg', 'path', 'rect', 'g']);

/**
 * A charging session's Pix QR as the central encodes it: the inline SVG of the printable receipt
 * (GET /sessions/{id}/receipt/html, the same encoder as the invoice's). The receipt's PNG data URL
 * would need `img-src data:`; instead the SVG is parsed, checked to hold only shapes (no script,
 * link or event attribute) and inserted as DOM, as components/pix-qr.tsx does for invoices.
 */
export function ReceiptQr(props: { sessionId: number; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let current = true;
    getText(`/sessions/${props.sessionId}/receipt/html`, 'text/html').then((text) => {
      const el = box.current;
      if (!current || !el) return;
      // Only the SVG is parsed: the page's own <style> would be an inline style under our CSP.
      const source = /<svg[\s\S]*?<\/svg>/.exec(text)?.[0];
      if (!source) return;
      const svg = new DOMParser().parseFromString(source, 'image/svg+xml').documentElement;
      if (svg.localName !== 'svg') return;
      const safe = [svg, ...svg.querySelectorAll('*')].every(
        (n) =>
          ALLOWED.has(n.localName) && [...n.attributes].every((a) => !/^on|href$/i.test(a.name)),
      );
      if (!safe) return;
      const copy = document.importNode(svg, true);
      copy.setAttribute('role', 'img');
      copy.setAttribute('aria-label', props.label);
      copy.setAttribute('width', '240');
      copy.setAttribute('height', '240');
      el.replaceChildren(copy);
    });
    return () => {
      current = false;
    };
  }, [props.sessionId, props.label]);
  return <div ref={box} class="qr" data-testid="receipt-qr" />;
}
