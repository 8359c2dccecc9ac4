import { connect, type Socket } from 'node:net';

/** A seed C answer envelope (SEEDS.md C). */
export interface SeedCAnswer {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: the server's JSON data
  data: any;
  status: { code: number; message: string };
  timestamp: string;
}

/**
 * One TCP connection speaking seed C's newline-terminated JSON envelopes
 * `{type, data, status:{code, message}, timestamp}`: one request line, one answer line, in order.
 * Written from the seed text, not from the central's code.
 */
export class JourneyConnection {
  readonly #socket: Socket;
  #buffer = '';
  readonly #waiting: Array<{ resolve: (a: SeedCAnswer) => void; reject: (e: Error) => void }> = [];
  #closedError: Error | null = null;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl = this.#buffer.indexOf('\n');
      while (nl >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        const w = this.#waiting.shift();
        if (w) {
          try {
            w.resolve(JSON.parse(line) as SeedCAnswer);
          } catch {
            w.reject(new Error(`answer is not JSON: ${line.slice(0, 80)}`));
          }
        }
        nl = this.#buffer.indexOf('\n');
      }
    });
    const fail = (err: Error) => {
      this.#closedError = err;
      for (const w of this.#waiting.splice(0)) w.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(this.#closedError ?? new Error('connection closed')));
  }

  static open(host: string, port: number, timeoutMs: number): Promise<JourneyConnection> {
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(new JourneyConnection(s));
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Sends one request and waits for its answer (at most `timeoutMs`). */
  ask(type: string, data: unknown, timeoutMs: number): Promise<SeedCAnswer> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${type}: no answer in ${timeoutMs} ms`));
        this.#socket.destroy();
      }, timeoutMs);
      this.#waiting.push({
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#socket.write(
        `${JSON.stringify({ type, data, status: { code: 0, message: '' }, timestamp: new Date().toISOString() })}\n`,
      );
    });
  }

  close(): void {
    this.#socket.end();
    this.#socket.destroySoon?.();
  }
}
