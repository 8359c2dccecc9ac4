import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * The policy of every answer that is not an HTML page (JSON, SVG, metrics, errors): nothing may
 * load, nothing may frame it.
 */
export const API_CSP =
  "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Headers on every response (hono's secureHeaders): `X-Content-Type-Options: nosniff`,
 * `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`, `Cross-Origin-Opener-Policy` and
 * `-Resource-Policy: same-origin`, API_CSP unless the handler set a page's own policy, no
 * `X-Powered-By`. No HSTS: the central speaks plain HTTP behind the TLS proxy that owns it.
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    crossOriginOpenerPolicy: 'same-origin',
    crossOriginResourcePolicy: 'same-origin',
    strictTransportSecurity: false,
    // A page's handler sets its own Content-Security-Policy; the rest are the same everywhere.
    overwrite: false,
  });
}

/** `'sha256-…'`: a CSP source allowing exactly one inline script or style with this text. */
export function cspHash(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** The hash sources of every inline `<style>` (or `<script>`) block of a page we rendered. */
export function inlineHashes(html: string, tag: 'style' | 'script'): string[] {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g');
  return [...html.matchAll(re)].map((m) => cspHash(m[1] ?? ''));
}

/** A page's policy: `default-src 'none'` plus exactly the sources it needs. */
export function pageCsp(sources: {
  script?: string[];
  style?: string[];
  img?: string[];
  connect?: string[];
}): string {
  const directives = [
    "default-src 'none'",
    ...Object.entries(sources)
      .filter(([, list]) => list && list.length > 0)
      .map(([kind, list]) => `${kind}-src ${(list as string[]).join(' ')}`),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ];
  return directives.join('; ');
}
