import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Hono } from 'hono';
import { pageCsp } from './security-headers.js';

/** Where `npm install` (the root `prepare` script) builds the web UI: `ui/dist` in the repo. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** The UI's scripts, styles, images and API calls come from this origin; nothing inline, no CDN. */
export const UI_CSP = pageCsp({
  script: ["'self'"],
  style: ["'self'"],
  img: ["'self'"],
  connect: ["'self'"],
});

interface Asset {
  type: string;
  body: Uint8Array;
  gzip: Uint8Array | null;
}

function loadAsset(file: string): Asset {
  const body = readFileSync(file);
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
  return { type, body, gzip: compressible ? gzipSync(body, { level: 9 }) : null };
}

/**
 * The built UI, read once when the central starts: `index.html` for every page path the build
 * lists in `routes.json` (the SPA fallback; other paths stay 404), the hashed files of
 * `assets/` cached for a year, everything gzipped when the client accepts it. No build there:
 * the page paths answer 503 saying how to build it.
 */
export function uiRoutes(dir: string = DEFAULT_UI_DIR) {
  const app = new Hono();
  const indexFile = join(dir, 'index.html');
  if (!existsSync(indexFile)) {
    app.get('/', (c) =>
      c.text(
        'The web UI is not built: run `npm install` (or `npm run build -w @gridlink/ui`).',
        503,
      ),
    );
    return app;
  }
  const index = loadAsset(indexFile);
  const { pages } = JSON.parse(readFileSync(join(dir, 'routes.json'), 'utf8')) as {
    pages: string[];
  };
  const assets = new Map<string, Asset>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir))
    for (const name of readdirSync(assetDir)) assets.set(name, loadAsset(join(assetDir, name)));

  const send = (
    accept: string | undefined,
    asset: Asset,
    headers: Record<string, string>,
  ): Response => {
    const gzip = asset.gzip !== null && /\bgzip\b/.test(accept ?? '');
    return new Response(gzip ? asset.gzip : asset.body, {
      headers: {
        ...headers,
        'content-type': asset.type,
        vary: 'Accept-Encoding',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      },
    });
  };

  for (const path of pages)
    app.get(path, (c) =>
      send(c.req.header('accept-encoding'), index, {
        'cache-control': 'no-cache',
        'content-security-policy': UI_CSP,
      }),
    );
  app.get('/assets/:file', (c) => {
    const asset = assets.get(c.req.param('file'));
    if (!asset) return c.notFound();
    // Vite names every asset by its content hash: a new build is a new name.
    return send(c.req.header('accept-encoding'), asset, {
      'cache-control': 'public, max-age=31536000, immutable',
    });
  });
  return app;
}
