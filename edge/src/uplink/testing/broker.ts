import { createServer, type Server } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

/** A real aedes broker on a real port, for tests. */
export interface TestBroker {
  port: number;
  url: string;
  /** Closes every client connection and the listening socket. */
  close(): Promise<void>;
}

/**
 * What a test may set on the broker: its CONNECT, PUBLISH and SUBSCRIBE checks (everything is
 * accepted by default; the checks also see each client's packets in order).
 */
export type TestBrokerOptions = Pick<
  AedesOptions,
  'authenticate' | 'authorizePublish' | 'authorizeSubscribe'
>;

/** Starts a broker on `port` (0 = any free port; pass an old port to restart "the same" broker). */
export async function startTestBroker(
  port = 0,
  options: TestBrokerOptions = {},
): Promise<TestBroker> {
  const aedes = await Aedes.createBroker(options);
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  let closing: Promise<void> | undefined;
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    port: bound,
    url: `mqtt://127.0.0.1:${bound}`,
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
