/**
 * Geometry of the activity chart (stacked bars per time bucket), computed here so the template
 * only places shapes. Pure: numbers in, rectangles and labels out.
 */
export interface ChartInput {
  /** Bucket starts, oldest first; every bucket gets a bar (empty when nothing happened). */
  buckets: Date[];
  /** One value per bucket and series; series in legend order. */
  series: { name: string; values: number[] }[];
  labelOf(bucket: Date): string;
  valueLabel(value: number): string;
}

export interface ChartRect {
  x: number;
  y: number;
  w: number;
  h: number;
  series: number;
  title: string;
}

export interface Chart {
  width: number;
  height: number;
  rects: ChartRect[];
  yTicks: { y: number; label: string }[];
  xLabels: { x: number; label: string }[];
  legend: { name: string; series: number }[];
  empty: boolean;
}

const WIDTH = 720;
const HEIGHT = 260;
const LEFT = 64;
const BOTTOM = 24;
const TOP = 8;
/** At most this many x labels, so they never overlap. */
const MAX_X_LABELS = 8;

export function buildChart(input: ChartInput): Chart {
  const n = input.buckets.length;
  const totals = input.buckets.map((_, i) => input.series.reduce((sum, s) => sum + s.values[i], 0));
  const max = Math.max(0, ...totals);
  const top = max > 0 ? niceCeiling(max) : 1;
  const plotH = HEIGHT - TOP - BOTTOM;
  const slot = (WIDTH - LEFT) / Math.max(n, 1);
  const barW = Math.max(1, slot * 0.7);
  const rects: ChartRect[] = [];
  input.buckets.forEach((bucket, i) => {
    let base = HEIGHT - BOTTOM;
    input.series.forEach((s, si) => {
      const v = s.values[i];
      if (v <= 0) return;
      const h = (v / top) * plotH;
      base -= h;
      rects.push({
        x: round(LEFT + i * slot + (slot - barW) / 2),
        y: round(base),
        w: round(barW),
        h: round(Math.max(h, 0.5)),
        series: si,
        title: `${input.labelOf(bucket)} · ${s.name}: ${input.valueLabel(v)}`,
      });
    });
  });
  const yTicks = [0, 0.5, 1].map((f) => ({ y: round(HEIGHT - BOTTOM - f * plotH), label: input.valueLabel(top * f) }));
  const every = Math.max(1, Math.ceil(n / MAX_X_LABELS));
  const xLabels = input.buckets
    .map((b, i) => ({ i, b }))
    .filter(({ i }) => i % every === 0)
    .map(({ i, b }) => ({ x: round(LEFT + i * slot + slot / 2), label: input.labelOf(b) }));
  return {
    width: WIDTH,
    height: HEIGHT,
    rects,
    yTicks,
    xLabels,
    legend: input.series.map((s, i) => ({ name: s.name, series: i })),
    empty: max === 0,
  };
}

/** 1, 2 or 5 times a power of ten, at least `v`: round axis labels. */
export function niceCeiling(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const round = (v: number) => Math.round(v * 10) / 10;
