import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import { cspHash, pageCsp } from './security-headers.js';

const assetDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

/** The one inline script: it starts Swagger UI (no online validator: edges run offline). */
const bootstrap =
  "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true, validatorUrl: null });";

const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GridLink API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>${bootstrap}</script>
</body></html>`;

/**
 * What Swagger UI needs and no more: its bundle and stylesheet from here, the bootstrap script by
 * its hash, the icons its stylesheet inlines as data: URIs, and fetches of /openapi.json and of
 * the API it tries out (same origin).
 */
const csp = pageCsp({
  script: ["'self'", cspHash(bootstrap)],
  style: ["'self'"],
  img: ["'self'", 'data:'],
  connect: ["'self'"],
});

/** Interactive API docs served from the local swagger-ui-dist package (no CDN: edges run offline). */
export function docsRoutes() {
  const app = new Hono();
  app.get('/', (c) => c.html(page, 200, { 'content-security-policy': csp }));
  app.get('/assets/:file', async (c) => {
    const file = c.req.param('file');
    const type = assets[file];
    if (!type) return c.notFound();
    const body = await readFile(join(assetDir, file));
    return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}
