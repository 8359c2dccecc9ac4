import { GridlinkError } from '@gridlink/shared';
import type { Kysely } from 'kysely';
import {
  computeInvoice,
  DEFAULT_TIME_ZONE,
  localTime,
  monthPeriod,
  type TariffInput,
} from '../../billing/index.js';
import { createCustomer, customerBilling } from '../../customers/index.js';
import { meterIdsOfCustomer, type Period, periodBounds } from '../../metering/index.js';
import { formatKwh, formatReaisPlain, kwhToWh } from '../../money/index.js';
import { type ProvisioningControl, provisionPushMeter } from '../../provisioning/index.js';
import type { Schema } from '../../storage/index.js';
import type { ManualReadings } from './manual-readings.js';
import type { TerminalRequest } from './requests.js';
import {
  customerByCpf,
  hasActiveExcess,
  intervalReadings,
  intervalTotals,
  seedDDeviceId,
  seedDMeters,
} from './seed-d-store.js';

/** An answer in the original server's shapes: its status, and its text or JSON body. */
export interface TerminalReply {
  status: number;
  body: string;
}

/** Who the request acts for, once authentication has decided (auth.ts). */
export type Caller =
  /** Staff with the right to register customers and meters (`by` names them in audit fields). */
  | { kind: 'staff'; by: string }
  /** A signed-in customer: only its own CPF. */
  | { kind: 'customer'; customerId: number }
  /** The operator-enabled anonymous mode from a listed address: scoped by the request's CPF. */
  | { kind: 'anonymous' };

export interface TerminalDeps {
  db: Kysely<Schema>;
  control: ProvisioningControl;
  manual: ManualReadings;
  now: () => Date;
  /** The seed D edge (`legacy.seedD.edgeId`); without it `/cadMedidor` and `/postConsumo` refuse. */
  edgeId?: string;
  pricePerKwh: string;
  excessKwh: number;
  /** The central's reading window: a posted reading outside it is refused. */
  readingWindow: { notBeforeMs: number; maxFutureSkewMs: number };
  /** The central's `timeZone`: the zone of the customers `/cadCliente` creates. */
  timeZone?: string;
}

/** Entries of `consumo` at most (the original client reads one 1,024-byte recv); `soma` is all. */
export const MAX_HISTORY_ENTRIES = 2000;

const json = (status: number, value: unknown): TerminalReply => ({
  status,
  body: JSON.stringify(value),
});
/** The original's error style: `{"errors:": message}` (its key has the colon). */
export const errorReply = (status: number, message: string): TerminalReply =>
  json(status, { 'errors:': message });
const text = (status: number, body: string): TerminalReply => ({ status, body });

const KIND_PERIOD: Record<'D' | 'M' | 'Y', Period> = { D: 'day', M: 'month', Y: 'year' };

/** The seed's tariff: every kWh at one price, no minimum, no taxes (SEEDS D: sum × R$ 1,07). */
export function seedTariff(pricePerKwh: string): TariffInput {
  return {
    id: 'seed-d-flat',
    name: 'Seed D flat rate',
    energy: { model: 'flat', pricePerKwh },
    minimumAvailabilityKwh: false,
  };
}

/** `dd/mm/YYYY HH:MM` in the zone, as the original printed its timestamps. */
function originalTime(at: Date, zone: string): string {
  const p: Record<string, string> = {};
  for (const part of new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at))
    p[part.type] = part.value;
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
}

/** The customer a read route is about, if the caller may see it; a reply otherwise. */
async function readable(
  deps: TerminalDeps,
  caller: Caller,
  cpf: string,
  notFound: string,
): Promise<{ id: number; timeZone: string } | TerminalReply> {
  const customer = await customerByCpf(deps.db, cpf);
  // A customer asking about another CPF learns nothing about it: the same 404 as no customer.
  if (!customer || (caller.kind === 'customer' && caller.customerId !== customer.id))
    return text(404, notFound);
  return customer;
}

/** Runs one parsed request against GridLink's domain. Domain errors become the original's replies. */
export async function runTerminal(
  deps: TerminalDeps,
  caller: Caller,
  req: TerminalRequest,
): Promise<TerminalReply> {
  switch (req.route) {
    case 'cadCliente': {
      try {
        await createCustomer(deps.db, {
          document: req.body.id,
          name: req.body.name,
          tariff: seedTariff(deps.pricePerKwh),
          monthlyLimitKwh: deps.excessKwh,
          timeZone: deps.timeZone,
        });
      } catch (err) {
        if (err instanceof GridlinkError && err.code === 'GL_CONFLICT')
          return errorReply(409, 'Cliente já está cadastrado!');
        throw err;
      }
      return text(201, 'Criado');
    }
    case 'cadMedidor': {
      const customer = await customerByCpf(deps.db, req.body.id);
      if (!customer) return text(404, 'Not Found');
      if (!deps.edgeId)
        return errorReply(503, 'no seed D edge is configured (legacy.seedD.edgeId)');
      const by = caller.kind === 'staff' ? caller.by : 'seed-d-terminal:anonymous';
      const existing = await seedDMeters(deps.db, deps.edgeId, customer.id, req.body.id);
      const n = Math.max(0, ...existing.keys()) + 1;
      try {
        await provisionPushMeter(
          { db: deps.db, control: deps.control, now: () => deps.now().getTime() },
          {
            edgeId: deps.edgeId,
            customerId: customer.id,
            meter: {
              id: seedDDeviceId(req.body.id, n),
              driver: 'udp-meter',
              meterId: String(n),
              cpf: req.body.id,
            },
          },
          by,
        );
      } catch (err) {
        if (err instanceof GridlinkError && err.code === 'GL_EDGE_UNKNOWN')
          return errorReply(
            503,
            `the seed D edge ${deps.edgeId} is not registered at the central yet`,
          );
        throw err;
      }
      return text(201, 'Criado');
    }
    case 'postConsumo': {
      const customer = await customerByCpf(deps.db, req.body.id);
      if (!customer || !deps.edgeId) return text(404, 'N achei');
      const meters = await seedDMeters(deps.db, deps.edgeId, customer.id, req.body.id);
      const meterRowId = meters.get(req.body.id_medidor);
      if (meterRowId === undefined) return text(404, 'N achei');
      const ts = Math.round(req.body.timestamp * 1000);
      const { notBeforeMs, maxFutureSkewMs } = deps.readingWindow;
      if (ts < notBeforeMs || ts > deps.now().getTime() + maxFutureSkewMs)
        return errorReply(
          400,
          `timestamp: ${req.body.timestamp} is outside the accepted window (epoch seconds, not before ${new Date(notBeforeMs).toISOString()}, not in the future)`,
        );
      await deps.manual.store({
        edgeId: deps.edgeId,
        deviceId: seedDDeviceId(req.body.id, req.body.id_medidor),
        meterRowId,
        ts,
        kwh: req.body.valor,
      });
      return text(201, 'Criado');
    }
    case 'getConsumoHist': {
      const c = await readable(deps, caller, req.body.id, 'Not Client');
      if ('status' in c) return c;
      let meterIds: number[];
      if (req.body.id_medidor === undefined) {
        meterIds = await meterIdsOfCustomer(deps.db, c.id);
      } else {
        const row = deps.edgeId
          ? (await seedDMeters(deps.db, deps.edgeId, c.id, req.body.id)).get(req.body.id_medidor)
          : undefined;
        if (row === undefined) return errorReply(404, `no meter ${req.body.id_medidor}`);
        meterIds = [row];
      }
      const { from, to } = await periodBounds(
        deps.db,
        c.timeZone,
        KIND_PERIOD[req.body.kind],
        req.body.periodo,
        deps.now(),
      );
      const totals = await intervalTotals(deps.db, meterIds, from, to);
      const list = await intervalReadings(deps.db, meterIds, from, to, MAX_HISTORY_ENTRIES);
      return json(200, {
        id: req.body.id,
        soma: Number(totals.sumKwh),
        consumo: [
          ['timestamp', 'value'],
          ...list.map((r) => [originalTime(r.ts, c.timeZone), r.kwh]),
        ],
      });
    }
    case 'getFatura': {
      const c = await readable(deps, caller, req.body.id, 'Not Found');
      if ('status' in c) return c;
      const billing = await customerBilling(deps.db, c.id);
      const zone = billing?.timeZone ?? deps.timeZone ?? DEFAULT_TIME_ZONE;
      const now = deps.now();
      const period = monthPeriod(localTime(now, zone).date.slice(0, 7));
      const { from, to } = await periodBounds(deps.db, zone, 'month', 0, now);
      const totals = await intervalTotals(
        deps.db,
        await meterIdsOfCustomer(deps.db, c.id),
        from,
        to,
      );
      const wh = kwhToWh(totals.sumKwh);
      const invoice = computeInvoice({
        period,
        timeZone: zone,
        connection: billing?.connection ?? 'single-phase',
        tariffClass: billing?.tariffClass,
        consumption: { kind: 'total', kwh: formatKwh(wh) },
        tariff: billing?.tariff ?? seedTariff(deps.pricePerKwh),
      });
      // The original's tuple: (amount in reais, kWh).
      return json(200, [Number(formatReaisPlain(invoice.totals.total)), Number(formatKwh(wh))]);
    }
    case 'getAlarme': {
      const c = await readable(deps, caller, req.body.id, 'Not Client');
      if ('status' in c) return c;
      return json(200, { alarme: (await hasActiveExcess(deps.db, c.id)) ? 'Excesso!' : 'Ok!' });
    }
  }
}
