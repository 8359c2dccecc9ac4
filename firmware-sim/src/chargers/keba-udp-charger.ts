import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { GridlinkError } from '@gridlink/shared';
import { KebaCharger, type KebaChargerOptions, type KebaReport } from './keba-charger.js';
import {
  dutyCyclePermille,
  formatIdentity,
  formatKebaJson,
  parseKebaRequest,
  TCH_ERR,
  TCH_OK,
} from './keba-udp-protocol.js';

export interface KebaUdpChargerOptions extends KebaChargerOptions {
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** UDP port; a real station listens on 7090. 0 = any free port. */
  port: number;
}

const KEBA_UDP_FAULTS = [
  'no-reply',
  'late-reply',
  'garbage-reply',
  'link-flap',
  'connector-fault',
] as const;

const FIRMWARE = 'P30 v 3.10.16 (GridLink simulator)';

/** What a `garbage-reply` station sends instead of its answer: not TCH-OK/ERR, not JSON. */
const GARBAGE = Buffer.from('\xff\xfe{"ID": "', 'latin1');

/** Keys the station announces by itself when they change (OpenEMS handles these broadcasts). */
const BROADCAST_KEYS = ['State', 'Plug', 'Enable sys', 'Max curr'] as const;

/**
 * A KEBA P30 station on its UDP protocol: binds one UDP port, answers `i`, `report 1|2|3` and
 * the commands `ena`, `curr`, `setenergy`, `unlock`, `display` from its own model
 * (keba-charger.ts), to the address and port that asked. A real station answers to port 7090
 * whatever port asked; answering to the sender's port is the same for a client bound to 7090 and
 * lets tests use any port. When State, Plug, Enable sys or Max curr change, it sends `{"Key": v}`
 * to the last client, and `{"E pres": n}` when a charge ends (a real station broadcasts to port
 * 7092, IPSymconKebaConnect listens there).
 *
 * Faults: `no-reply` (silent), `late-reply` (answers `delayMs` late), `garbage-reply` (answers
 * with bytes that are not the protocol), `link-flap`, `connector-fault` (State 4, Error1 = code).
 */
export class KebaUdpCharger extends KebaCharger {
  private socket: Socket | undefined;
  private lastClient: { address: string; port: number } | undefined;
  private announced: Record<string, number> | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Broadcasts raised while a request is answered leave after the answer. */
  private deferred: Array<() => void> | undefined;
  private readonly stats = { requests: 0, answered: 0, broadcasts: 0, unknown: 0 };
  private readonly requestWaiters: Array<{ n: number; resolve: () => void }> = [];

  private constructor(options: KebaUdpChargerOptions) {
    super(options, KEBA_UDP_FAULTS);
  }

  /** Creates the station and binds its port; GL_PORT_IN_USE when it is taken. */
  static async start(options: KebaUdpChargerOptions): Promise<KebaUdpCharger> {
    const c = new KebaUdpCharger(options);
    const host = options.host ?? '127.0.0.1';
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      s.once('error', (err) =>
        reject(new GridlinkError('GL_PORT_IN_USE', `UDP ${host}:${options.port}: ${err.message}`)),
      );
      s.bind(options.port, host, () => resolve());
    });
    s.on('error', () => {}); // a send to a vanished client must not end the simulator
    s.on('message', (msg, from) => c.handle(msg, from));
    c.socket = s;
    c.endpoint = { transport: 'udp', host, port: s.address().port };
    c.announced = c.broadcastValues();
    return c;
  }

  /** Resolves once `n` request datagrams in all have been handled (answered or not). */
  handled(n: number): Promise<void> {
    if (this.stats.requests >= n) return Promise.resolve();
    return new Promise((resolve) => this.requestWaiters.push({ n, resolve }));
  }

  /** The bound port. */
  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Report 1, 2 or 3 as the station would send it now (undefined for other ids). */
  report(id: number): KebaReport | undefined {
    const common = { Serial: this.serial, Sec: this.uptimeS() };
    if (id === 1) {
      return {
        ID: '1',
        Product: 'KC-P30-EC240422-E00',
        Serial: this.serial,
        Firmware: FIRMWARE,
        'COM-module': 0,
        Backend: 0,
        timeQ: 0,
        Sec: this.uptimeS(),
      };
    }
    const s = this.station;
    if (id === 2) {
      const offered = this.offeredMa();
      return {
        ID: '2',
        State: this.stateCode,
        Error1: s.errorCode,
        Error2: 0,
        Plug: this.plugState(),
        AuthON: 0,
        Authreq: 0,
        'Enable sys': s.enabled ? 1 : 0,
        'Enable user': s.enabled ? 1 : 0,
        'Max curr': offered,
        'Max curr %': dutyCyclePermille(offered),
        'Curr HW': s.currentHwMa,
        'Curr user': s.currentUserMa,
        'Curr FS': 0,
        'Tmo FS': 0,
        'Curr timer': 0,
        'Tmo CT': 0,
        Setenergy: s.energyLimit,
        Output: 0,
        Input: 0,
        ...common,
      };
    }
    if (id === 3) {
      const m = this.measurements();
      return {
        ID: '3',
        U1: m.u[0],
        U2: m.u[1],
        U3: m.u[2],
        I1: m.i[0],
        I2: m.i[1],
        I3: m.i[2],
        P: m.p,
        PF: m.pf,
        'E pres': m.ePres,
        'E total': m.eTotal,
        ...common,
      };
    }
    return undefined;
  }

  protected served(): Record<string, unknown> {
    return {
      reports: { 1: this.report(1), 2: this.report(2), 3: this.report(3) },
      udp: { ...this.stats },
    };
  }

  /** The answer to one request datagram, or undefined for none. */
  answer(text: string): string | undefined {
    const req = parseKebaRequest(text);
    switch (req.kind) {
      case 'identify':
        return formatIdentity(FIRMWARE);
      case 'report': {
        const r = this.report(req.id);
        return r ? formatKebaJson(r) : TCH_ERR;
      }
      case 'command':
        return this.command(req.event, req.name).ok ? TCH_OK : TCH_ERR;
      case 'display':
        return TCH_OK;
      case 'unknown':
        this.stats.unknown++;
        return TCH_ERR;
    }
  }

  protected override changed(): void {
    if (!this.socket || !this.announced) return;
    const now = this.broadcastValues();
    const before = this.announced;
    this.announced = now;
    if (!this.lastClient) return;
    for (const key of BROADCAST_KEYS) {
      if (now[key] !== before[key]) this.broadcast({ [key]: now[key] as number });
    }
    if (before.State === 3 && now.State !== 3) {
      this.broadcast({ 'E pres': this.measurements().ePres });
    }
  }

  private broadcastValues(): Record<string, number> {
    return {
      State: this.stateCode,
      Plug: this.plugState(),
      'Enable sys': this.station.enabled ? 1 : 0,
      'Max curr': this.offeredMa(),
    };
  }

  private broadcast(fields: Record<string, number>): void {
    const plan = this.faults.sendPlan();
    if (!plan.send) return;
    this.stats.broadcasts++;
    const c = this.lastClient as { address: string; port: number };
    const go = () => this.transmit(Buffer.from(JSON.stringify(fields), 'latin1'), c, plan.delayMs);
    if (this.deferred) this.deferred.push(go);
    else go();
  }

  private handle(msg: Buffer, from: RemoteInfo): void {
    this.stats.requests++;
    this.lastClient = { address: from.address, port: from.port };
    // As on Modbus, the request acts even when its answer is lost, late or garbage.
    this.deferred = [];
    try {
      const answer = this.answer(msg.toString('latin1'));
      const plan = this.faults.answerPlan();
      if (answer !== undefined && plan.send) {
        this.stats.answered++;
        this.transmit(plan.garbage ? GARBAGE : Buffer.from(answer, 'latin1'), from, plan.delayMs);
      }
    } finally {
      const later = this.deferred;
      this.deferred = undefined;
      for (const go of later) go();
      for (const [i, w] of [...this.requestWaiters.entries()].reverse()) {
        if (this.stats.requests >= w.n) {
          this.requestWaiters.splice(i, 1);
          w.resolve();
        }
      }
    }
  }

  private transmit(data: Buffer, to: { address: string; port: number }, delayMs: number): void {
    const send = () => this.socket?.send(data, to.port, to.address);
    if (delayMs <= 0) {
      send();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      send();
    }, delayMs);
    this.timers.add(t);
  }
}
