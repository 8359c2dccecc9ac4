/**
 * The demo's charging network (issue #17 item 1): the Feira de Santana stations file imported
 * into the company `feira` through the API, as an operator would, at every start. The import is
 * keyed on the file's ids, so a restart reports every row unchanged and creates nothing.
 */
import { readFileSync } from 'node:fs';

export const DEMO_COMPANY = 'feira';
const FILE = new URL('./seed/feira_de_santana_stations.csv', import.meta.url);

export interface DemoNetwork {
  stations: number;
  created: number;
  points: number;
  warnings: string[];
}

export async function importDemoNetwork(httpUrl: string, token: string): Promise<DemoNetwork> {
  const res = await fetch(
    `${httpUrl}/api/v1/companies/${DEMO_COMPANY}/imports?format=feira&name=${encodeURIComponent('Feira de Santana')}`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv; charset=utf-8' },
      body: readFileSync(FILE),
    },
  );
  if (!res.ok)
    throw new Error(`importing the demo stations failed: ${res.status} ${await res.text()}`);
  const report = (await res.json()) as {
    created: number;
    updated: number;
    unchanged: number;
    rejected: number;
    points: { created: number; updated: number; unchanged: number };
    errors: Array<{ line: number; reason: string }>;
    warnings: Array<{ line: number; reason: string }>;
  };
  if (report.rejected > 0)
    throw new Error(
      `the demo stations file has rejected rows: ${report.errors.map((e) => `line ${e.line}: ${e.reason}`).join('; ')}`,
    );
  return {
    stations: report.created + report.updated + report.unchanged,
    created: report.created,
    points: report.points.created + report.points.updated + report.points.unchanged,
    warnings: report.warnings.map((w) => `line ${w.line}: ${w.reason}`),
  };
}
