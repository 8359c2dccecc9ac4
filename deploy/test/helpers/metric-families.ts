/**
 * Reads a Prometheus text exposition into metric families and lints their names the way
 * docs/OBSERVABILITY.md states them (promtool's `check metrics` rules, plus GridLink's prefix).
 */
export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  labelNames: Set<string>;
  /** Sample names seen (`x_bucket`, `x_sum`, `x_count` for a histogram). */
  samples: Set<string>;
}

export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: '', help: '', labelNames: new Set(), samples: new Set() };
      families.set(name, f);
    }
    return f;
  };
  let current: MetricFamily | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
    if (meta) {
      current = family(meta[2] as string);
      if (meta[1] === 'HELP') current.help = meta[3] ?? '';
      else current.type = meta[3] ?? '';
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    if (!sample || !current) throw new Error(`not an exposition line: ${line}`);
    current.samples.add(sample[1] as string);
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g))
      if (m[1] !== 'le' && m[1] !== 'quantile') current.labelNames.add(m[1] as string);
  }
  return families;
}

/**
 * prom-client's standard default metrics that break a rule below and keep their standard names
 * (the standard Node.js dashboards query them): gauges that end in `_total`.
 */
export const STANDARD_EXCEPTIONS = new Set([
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]);

const BASE_UNIT_SUFFIXES = ['_seconds', '_bytes', '_ratio', '_celsius', '_volts', '_watts'];
/** Units Prometheus wants as base units instead (seconds, bytes). */
const NON_BASE_UNIT = /_(ms|milliseconds|microseconds|us|ns|minutes|hours|days|kb|kib|mb|mib)(_|$)/;

/** Every rule a family breaks, as `name: reason` lines; empty when the family is clean. */
export function lintFamily(f: MetricFamily, prefix: string): string[] {
  const problems: string[] = [];
  const bad = (reason: string) => problems.push(`${f.name}: ${reason}`);
  const standard = f.name.startsWith('process_') || f.name.startsWith('nodejs_');
  if (!/^[a-z][a-z0-9_]*$/.test(f.name)) bad('name is not snake_case');
  if (!standard && !f.name.startsWith(prefix)) bad(`does not start with ${prefix}`);
  if (/_(process|nodejs)_/.test(f.name) && !standard)
    bad("Node's standard metric under a prefix (standard dashboards look for it unprefixed)");
  if (!f.help.trim()) bad('no HELP text');
  if (!['counter', 'gauge', 'histogram', 'summary'].includes(f.type)) bad(`type ${f.type || '?'}`);
  if (f.type === 'counter' && !f.name.endsWith('_total')) bad('a counter must end in _total');
  if (f.type !== 'counter' && f.name.endsWith('_total') && !STANDARD_EXCEPTIONS.has(f.name))
    bad(`a ${f.type} must not end in _total`);
  if (
    (f.type === 'histogram' || f.type === 'summary') &&
    !BASE_UNIT_SUFFIXES.some((s) => f.name.endsWith(s))
  )
    bad(`a ${f.type} names its base unit (${BASE_UNIT_SUFFIXES.join(', ')})`);
  if (NON_BASE_UNIT.test(f.name)) bad('use base units (seconds, bytes)');
  for (const label of f.labelNames)
    if (!/^[a-z][a-z0-9_]*$/.test(label) || label.startsWith('__'))
      bad(`label ${label} is not snake_case`);
  return problems;
}

/**
 * A metric name a PromQL expression may use, for a family: the family itself and, for a
 * histogram or summary, its `_bucket`, `_sum` and `_count` series.
 */
export function seriesNames(families: Iterable<MetricFamily>): Set<string> {
  const names = new Set<string>();
  for (const f of families) {
    names.add(f.name);
    for (const s of f.samples) names.add(s);
    if (f.type === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${f.name}${suffix}`);
    if (f.type === 'summary') for (const suffix of ['_sum', '_count']) names.add(f.name + suffix);
  }
  return names;
}

/**
 * Keys that appear twice in one JSON object of `line` (at any depth), e.g. `edgeId` bound by a
 * logger's base and again by a child. JSON.parse keeps the last and hides the first, so this
 * reads the text itself.
 */
export function duplicateKeys(line: string): string[] {
  const dups: string[] = [];
  const stack: Array<Set<string> | null> = []; // a Set per open object, null per open array
  let expectKey = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === '"') {
      let j = i + 1;
      let text = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\') {
          text += line.slice(j, j + 2);
          j += 2;
        } else text += line[j++];
      }
      const top = stack.at(-1);
      if (expectKey && top) {
        if (top.has(text)) dups.push(text);
        top.add(text);
        expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (ch === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === '[') {
      stack.push(null);
    } else if (ch === '}' || ch === ']') {
      stack.pop();
    } else if (ch === ',') {
      expectKey = stack.at(-1) instanceof Set;
    }
    i++;
  }
  return dups;
}
