import { useEffect, useRef } from 'preact/hooks';
import { type ChartData, drawChart } from './chart-draw.js';

/**
 * The chart of a consumption history. The canvas is an image for sighted users; its label names
 * the period and the table beside it carries every number (screen readers read the table).
 */
export function Chart(props: { data: ChartData; label: string; height?: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const height = props.height ?? 260;
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const styles = getComputedStyle(el);
    const colors = {
      bar: styles.getPropertyValue('--chart-bar').trim() || '#1d5fa8',
      compare: styles.getPropertyValue('--chart-compare').trim() || '#b35900',
      text: styles.color,
      grid: styles.getPropertyValue('--chart-grid').trim() || '#ccc',
    };
    const draw = () => {
      drawChart(el, el.clientWidth || 600, height, props.data, colors);
      el.dataset.drawn = String(props.data.values.length);
      performance.mark('gridlink:chart-drawn', { detail: props.data.values.length });
    };
    draw();
    const observer = new ResizeObserver(draw);
    observer.observe(el);
    return () => observer.disconnect();
  }, [props.data, height]);
  return (
    <canvas
      ref={canvas}
      class="chart"
      role="img"
      aria-label={props.label}
      height={height}
      data-testid="chart"
    />
  );
}
