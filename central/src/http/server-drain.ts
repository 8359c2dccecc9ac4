import type { Server } from 'node:http';

/**
 * Closes an HTTP server the way a rolling restart needs (docs/SCALE-OUT.md, "Drain"): no new
 * connections, requests already in progress answered, each keep-alive connection closed as soon
 * as it falls idle (Node's `server.close` closes only those idle at the call), and after
 * `boundMs` whatever is still open is cut. Call it before the server listens (it watches every
 * request, so connections that finish one after the close begins are closed too); it returns
 * the close.
 */
export function gracefulClose(server: Server) {
  let closing = false;
  server.on('request', (_req, res) => {
    res.once('finish', () => {
      // The socket is idle only after this tick's bookkeeping.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });
  return (boundMs: number): Promise<void> =>
    new Promise<void>((resolve) => {
      closing = true;
      const cut = setTimeout(() => server.closeAllConnections(), boundMs);
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      server.closeIdleConnections();
    });
}
