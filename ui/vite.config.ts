import { defineConfig, type Plugin } from 'vite';
import { PAGE_PATHS } from './src/app/paths.js';

/** `dist/routes.json`: the page paths the central serves `index.html` for (ui-static.ts). */
function routeTable(): Plugin {
  return {
    name: 'gridlink-route-table',
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: 'routes.json',
        source: `${JSON.stringify({ pages: PAGE_PATHS })}\n`,
      });
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [routeTable()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline scripts: the page's CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
