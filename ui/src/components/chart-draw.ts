/**
 * A consumption chart drawn on a canvas, with no library: bars up to one per 3 px, beyond that a
 * line decimated to one min–max segment per pixel column, so a year of hourly points (8,760) is
 * drawn as ~1,000 segments (docs/UI.md "Charting" has the measurement against uPlot).
 */
export interface ChartData {
  /** Values of the period shown (one per bucket). */
  values: readonly number[];
  /** The previous period's, index by index (drawn as a line behind), when comparing. */
  compare?: readonly number[] | undefined;
  /** Tick texts for some indexes. */
  ticks: ReadonlyArray<{ index: number; text: string }>;
  /** Formats an axis value (the maximum). */
  axis: (value: number) => string;
}

export interface ChartColors {
  bar: string;
  compare: string;
  text: string;
  grid: string;
}

const PAD = { left: 64, right: 12, top: 12, bottom: 28 };

export function drawChart(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
  data: ChartData,
  colors: ChartColors,
): void {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, width, height);
  const n = Math.max(data.values.length, data.compare?.length ?? 0);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  let max = 0;
  for (const v of data.values) if (v > max) max = v;
  for (const v of data.compare ?? []) if (v > max) max = v;
  if (max <= 0) max = 1;
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;

  ctx.font = '12px system-ui, sans-serif';
  ctx.fillStyle = colors.text;
  ctx.strokeStyle = colors.grid;
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const f of [0, 0.5, 1]) {
    const yy = Math.round(y(max * f)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(PAD.left, yy);
    ctx.lineTo(PAD.left + plotW, yy);
    ctx.stroke();
    ctx.fillText(data.axis(max * f), PAD.left - 6, yy);
  }
  if (n === 0) return;
  const step = plotW / n;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const tick of data.ticks)
    ctx.fillText(tick.text, PAD.left + (tick.index + 0.5) * step, PAD.top + plotH + 8);

  if (step >= 3) {
    ctx.fillStyle = colors.bar;
    const w = Math.max(1, step * 0.7);
    data.values.forEach((v, i) => {
      const top = y(v);
      ctx.fillRect(PAD.left + i * step + (step - w) / 2, top, w, PAD.top + plotH - top);
    });
    if (data.compare)
      polyline(ctx, data.compare, (i) => PAD.left + (i + 0.5) * step, y, colors.compare);
  } else {
    if (data.compare) columns(ctx, data.compare, plotW, PAD.left, y, colors.compare);
    columns(ctx, data.values, plotW, PAD.left, y, colors.bar);
  }
}

function polyline(
  ctx: CanvasRenderingContext2D,
  values: readonly number[],
  x: (i: number) => number,
  y: (v: number) => number,
  color: string,
): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = 2;
  ctx.beginPath();
  values.forEach((v, i) => {
    if (i === 0) ctx.moveTo(x(i), y(v));
    else ctx.lineTo(x(i), y(v));
  });
  ctx.stroke();
}

/** One vertical min–max segment per pixel column, joined: the shape of every point, ~plotW strokes. */
function columns(
  ctx: CanvasRenderingContext2D,
  values: readonly number[],
  plotW: number,
  left: number,
  y: (v: number) => number,
  color: string,
): void {
  const cols = Math.max(1, Math.floor(plotW));
  const per = values.length / cols;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let c = 0; c < cols; c++) {
    const from = Math.floor(c * per);
    const to = Math.max(from + 1, Math.floor((c + 1) * per));
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = from; i < to && i < values.length; i++) {
      const v = values[i] as number;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo === Number.POSITIVE_INFINITY) continue;
    const x = left + c + 0.5;
    if (c === 0) ctx.moveTo(x, y(hi));
    else ctx.lineTo(x, y(hi));
    ctx.lineTo(x, y(lo));
  }
  ctx.stroke();
}
