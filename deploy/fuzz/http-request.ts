import { Agent, request } from 'node:http';

export interface HttpAnswer {
  status: number;
  text: string;
}

export interface HttpRequest {
  method: string;
  /** Path and query, already encoded. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * One request with node:http. `agent` decides the connection: `false` opens a fresh one that is
 * closed after the answer (a fuzz case never inherits a connection an earlier case damaged); a
 * keep-alive Agent gives a client its own pool.
 */
export function httpRequest(
  base: string,
  r: HttpRequest,
  agent: Agent | false,
): Promise<HttpAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method: r.method,
        path: r.url,
        agent,
        headers: {
          ...(r.body !== undefined ? { 'content-length': String(Buffer.byteLength(r.body)) } : {}),
          ...r.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** A keep-alive pool of its own, for a client that must not share connections with the fuzzer. */
export const ownPool = () => new Agent({ keepAlive: true, maxSockets: 1 });
