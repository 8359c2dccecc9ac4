import type { ClockAndTimers } from '@gridlink/shared';
import { systemClock } from '@gridlink/shared';
import type { Logger } from 'pino';
import { mercosulPlate } from '../cars/index.js';
import { hash32, uniform } from '../random/index.js';
import { JourneyConnection, type SeedCAnswer } from './journey-client.js';

export interface JourneySettings {
  count: number;
  target: { host: string; port: number };
  /** Run each journey again this long after it ends; 0 = once. */
  repeatMs: number;
  /** How many of START's stations each journey asks SELECTION_STATION to weigh. */
  stationsPerJourney: number;
  /** Each request's time-out (the original client waited 10 s). */
  timeoutMs: number;
  /** Station ids never listed. */
  avoidStations?: readonly number[];
}

/** How a journey ended. */
export type JourneyOutcome = 'reserved' | 'declined' | 'refused' | 'failed';

export interface JourneyResult {
  n: number;
  userName: string;
  outcome: JourneyOutcome;
  /** Every answer's type and status code, in order. */
  steps: Array<{ type: string; code: number }>;
  reservationId: number | null;
  stationId: number | null;
  error: string | null;
}

export interface JourneySummary {
  journeys: number;
  reserved: number;
  declined: number;
  refused: number;
  failed: number;
}

const MODELS_FALLBACK = ['Tesla Model 3', 'Nissan Leaf', 'Chevrolet Bolt EV'];

/**
 * Seed C's journey users by the hundred (SEEDS.md C: "150 simulated users at start-up"): each
 * opens a TCP connection and runs START -> LOGIN -> NAVIGATION -> SELECTION_STATION -> PAYMENT,
 * with a seeded model, charge, route and stations; its user name is a seeded Mercosul plate, so
 * the central books the slot for that car. All journeys start at once; with `repeatMs` each runs
 * again after that pause until closed.
 */
export class JourneyClients {
  readonly #s: JourneySettings;
  readonly #seed: number;
  readonly #clock: ClockAndTimers;
  readonly #logger: Logger | undefined;
  readonly #results: JourneyResult[] = [];
  readonly #timers = new Set<ReturnType<ClockAndTimers['setTimeout']>>();
  #closed = false;
  readonly firstRound: Promise<JourneyResult[]>;

  constructor(s: JourneySettings, seed: number, clock = systemClock, logger?: Logger) {
    this.#s = s;
    this.#seed = seed;
    this.#clock = clock;
    this.#logger = logger;
    this.firstRound = Promise.all(Array.from({ length: s.count }, (_, i) => this.#loop(i + 1)));
  }

  async #loop(n: number): Promise<JourneyResult> {
    const first = await this.#journey(n, 0);
    if (this.#s.repeatMs > 0) {
      let round = 1;
      const again = () => {
        if (this.#closed) return;
        const t = this.#clock.setTimeout(() => {
          this.#timers.delete(t);
          void this.#journey(n, round++).then(again);
        }, this.#s.repeatMs);
        this.#timers.add(t);
      };
      again();
    }
    return first;
  }

  async #journey(n: number, round: number): Promise<JourneyResult> {
    const { target, timeoutMs } = this.#s;
    const userName = mercosulPlate(this.#seed, n);
    const result: JourneyResult = {
      n,
      userName,
      outcome: 'failed',
      steps: [],
      reservationId: null,
      stationId: null,
      error: null,
    };
    let conn: JourneyConnection | null = null;
    const u = (salt: number) => uniform(this.#seed, 0x5ec0 + salt, n, round);
    try {
      conn = await JourneyConnection.open(target.host, target.port, timeoutMs);
      const c = conn;
      const ask = async (type: string, data: unknown): Promise<SeedCAnswer | null> => {
        const a = await c.ask(type, data, timeoutMs);
        result.steps.push({ type: a.type, code: a.status.code });
        if (a.status.code !== 200) {
          result.outcome = a.status.code === 409 ? 'declined' : 'refused';
          result.error = `${type} ${a.status.code}: ${a.status.message}`;
          return null;
        }
        return a;
      };
      const start = await ask('START', {});
      if (!start) return result;
      const models = Object.keys(start.data?.car_models ?? {});
      const model = (models.length ? models : MODELS_FALLBACK)[(n - 1) % (models.length || 3)];
      const avoid = new Set(this.#s.avoidStations ?? []);
      const stations = ((start.data?.stations ?? []) as Array<{ id: number }>).filter(
        (s) => !avoid.has(s.id),
      );
      const login = await ask('LOGIN', {
        user_name: userName,
        selected_car: model,
        battery_car: Math.round(15 + 75 * u(1)),
      });
      if (!login) return result;
      const userId = login.data.user_id;
      const nav = await ask('NAVIGATION', {
        user_id: userId,
        route_distance: Math.round(20 + 380 * u(2)),
      });
      if (!nav) return result;
      if (stations.length === 0) {
        result.outcome = 'refused';
        result.error = 'START listed no stations';
        return result;
      }
      const listed: Record<string, { distance_origin_position: number }> = {};
      const k = Math.min(this.#s.stationsPerJourney, stations.length);
      for (let i = 0; Object.keys(listed).length < k && i < k * 8; i++) {
        const s = stations[hash32(this.#seed, 0x57a7, n, round * 1000 + i) % stations.length];
        if (s) listed[String(s.id)] = { distance_origin_position: Math.round(1 + 14 * u(10 + i)) };
      }
      const pick = await ask('SELECTION_STATION', { user_id: userId, list_stations: listed });
      if (!pick) return result;
      result.stationId = pick.data.id_station;
      const pay = await ask('PAYMENT', {
        user_id: userId,
        id_station: pick.data.id_station,
        confirmation: true,
      });
      if (!pay) return result;
      result.outcome = 'reserved';
      result.reservationId = pay.data.reservation_id;
      return result;
    } catch (err) {
      result.outcome = 'failed';
      result.error = (err as Error).message;
      this.#logger?.warn({ err, n, userName }, 'journey failed');
      return result;
    } finally {
      conn?.close();
      this.#results.push(result);
    }
  }

  results(): readonly JourneyResult[] {
    return this.#results;
  }

  summary(): JourneySummary {
    const s: JourneySummary = { journeys: 0, reserved: 0, declined: 0, refused: 0, failed: 0 };
    for (const r of this.#results) {
      s.journeys++;
      s[r.outcome]++;
    }
    return s;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
  }
}
