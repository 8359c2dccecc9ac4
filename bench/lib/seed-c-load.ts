/**
 * The load side of bench legacy-seed-c, in its own process (each side holds 10,000 sockets): opens
 * `connections` TCP connections to host:port, sends each one `setup` line (answer awaited), then on
 * "go" every connection sends `request`, waits for its answer line and sends again, for
 * `durationMs`. Reports the answers counted, and how many were not status 200.
 */
import { connect, type Socket } from 'node:net';

interface Job {
  host: string;
  port: number;
  connections: number;
  setup: string | null;
  /** The request line; `{user_id}` is replaced by the setup answer's data.user_id. */
  request: string;
  durationMs: number;
}

const job = JSON.parse(process.argv[2] as string) as Job;

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: job.host, port: job.port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Calls `onLine` for each answer line of `s`. */
function lines(s: Socket, onLine: (line: string) => void) {
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (chunk: string) => {
    buf += chunk;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
    }
  });
}

const sockets: Socket[] = [];
const requests: string[] = [];
for (let i = 0; i < job.connections; i += 500) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(500, job.connections - i) }, () => open()),
  );
  sockets.push(...batch);
}
await Promise.all(
  sockets.map(
    (s) =>
      new Promise<void>((resolve) => {
        s.setNoDelay(true);
        let phase: 'setup' | 'run' = job.setup ? 'setup' : 'run';
        lines(s, (line) => {
          if (phase === 'setup') {
            const id = (JSON.parse(line) as { data?: { user_id?: number } }).data?.user_id;
            requests.push(job.request.replace('"{user_id}"', String(id)));
            phase = 'run';
            (s as Socket & { req?: string }).req = requests[requests.length - 1];
            resolve();
            return;
          }
          onAnswer(s, line);
        });
        if (job.setup) s.write(job.setup);
        else {
          (s as Socket & { req?: string }).req = job.request;
          resolve();
        }
      }),
  ),
);

let running = false;
let answered = 0;
let notOk = 0;
function onAnswer(s: Socket, line: string) {
  if (!running) return;
  answered++;
  if (!line.includes('"code":200')) notOk++;
  s.write((s as Socket & { req?: string }).req as string);
}

process.send?.({ ready: sockets.length });
process.on('message', (m: { go?: boolean }) => {
  if (!m.go) return;
  running = true;
  const t0 = performance.now();
  for (const s of sockets) s.write((s as Socket & { req?: string }).req as string);
  setTimeout(() => {
    running = false;
    const seconds = (performance.now() - t0) / 1000;
    process.send?.({ answered, notOk, seconds }, () => {
      for (const s of sockets) s.destroy();
      process.exit(0);
    });
  }, job.durationMs);
});
