/**
 * The data a report embeds for its charts (one JSON block in the page), shared by the renderer
 * that builds it and the browser code that draws it. The renderer decides every chart, series,
 * colour and unit; the browser code only draws. Times are milliseconds from the start of the run,
 * values are already in the chart's unit (rates per second, costs per hour, fractions).
 *
 * Example (one time chart):
 *   { id: 'throughput', title: 'Requests per second', unit: 'rps', scale: 'linear',
 *     series: [{ key: 'offered', label: 'offered', color: '#0072B2', values: [40, 41, ...] }] }
 */
import type { Unit } from './format.ts';

export type Num = number | null;

/**
 * A shaded stretch of time: a fault, a traffic spike, the warmup, the drain, or the time after a
 * trigger until the run was healthy again (to the horizon when it never was).
 */
export interface Band {
  kind: 'fault' | 'spike' | 'burst' | 'warmup' | 'drain' | 'recovery';
  label: string;
  startMs: number;
  endMs: number;
}

export interface Series {
  key: string;
  label: string;
  color: string;
  /** SVG stroke-dasharray, e.g. '4 3' for p50 lines. */
  dash?: string;
  values: Num[];
}

/** A horizontal reference line (an SLO threshold, amplification 1). */
export interface RefLine {
  value: number;
  label: string;
  color: string;
}

/** A chart over the run's windows; window i is centred on (i + 0.5) x intervalMs. */
export interface TimeChart {
  id: string;
  title: string;
  note: string;
  unit: Unit;
  scale: 'linear' | 'log';
  series: Series[];
  refLines: RefLine[];
  /** Label the bands on this chart (the first chart of a section). */
  bandLabels: boolean;
  /** A fixed value axis (small multiples share one scale); otherwise fitted to the visible data. */
  yDomain?: [number, number];
}

/** Time charts on one shared time axis. */
export interface TimeSection {
  /** Width of one plotted window after downsampling. */
  intervalMs: number;
  n: number;
  /** End of the time axis (n x intervalMs). */
  endMs: number;
  bands: Band[];
  charts: TimeChart[];
}

/** The scenario at a glance: the planned arrival rate per class and the fault lanes. */
export interface GlanceChart {
  durationMs: number;
  /** Planned rate samples (requests/s) per class, stacked; null when arrivals replay a trace. */
  rate: { tMs: number[]; series: Series[]; observed: boolean } | null;
  lanes: { provider: string; faults: { label: string; detail: string; startMs: number; endMs: number }[] }[];
  bands: Band[];
}

/** Percentile points of one latency summary (x = latency in ms, y = the percentile). */
export interface PercentilePoint {
  /** 'min', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'. */
  p: string;
  ms: number;
}

export interface PercentileChart {
  id: string;
  title: string;
  note: string;
  series: { key: string; label: string; color: string; dash?: string; points: PercentilePoint[] }[];
}

export interface RunReportData {
  kind: 'run';
  glance: GlanceChart;
  time: TimeSection;
  percentiles: PercentileChart[];
}

/** One policy's figure: mean, 95% CI half-width, and each seed's value. */
export interface DotValue {
  mean: Num;
  ci95: Num;
  n: number;
  seeds: { seed: number; value: Num }[];
}

export interface DotChart {
  id: string;
  title: string;
  note: string;
  unit: Unit;
  higherIsBetter: boolean;
  /** One per entry, in rank order (same order as `CompareReportData.entries`). */
  values: DotValue[];
}

export interface CompareReportData {
  kind: 'compare';
  glance: GlanceChart;
  entries: { label: string; color: string; rank: number }[];
  charts: DotChart[];
  /** The first seed's time series per policy (absent for results without series). */
  time?: TimeSection;
  /** With quality: cost against acceptable share per policy, the frontier drawn as a line. */
  curves?: CurveChart[];
}

/**
 * One point of a curve over a varied parameter (sweep values, capacity probes): the mean over
 * seeds with its 95% CI half-width, and each seed's value. `hollow` marks a point that missed
 * (a failed probe), so colour is never the only cue.
 */
export interface CurvePoint {
  x: number;
  /** The value as the user wrote it, e.g. `24/s`. */
  label: string;
  y: Num;
  ci95: Num;
  /** A short label drawn beside the point (where x does not say which point it is). */
  pointLabel?: string;
  /** A horizontal 95% CI half-width, where x is itself a mean (a policy's cost). */
  xci95?: Num;
  seeds: Num[];
  /** Overrides the series colour (pass / fail, region). */
  color?: string;
  hollow?: boolean;
  /** A line for the tooltip, e.g. `meets the SLOs on 3/3 seeds`. */
  note?: string;
}

export interface CurveSeries {
  key: string;
  label: string;
  color: string;
  dash?: string;
  /** Join the points with a line (in x order). */
  line: boolean;
  points: CurvePoint[];
}

/** A stretch of the x axis shaded by what it means (a sweep region). */
export interface XBand {
  key: string;
  label: string;
  color: string;
  x0: number;
  x1: number;
}

/**
 * A chart over the varied parameter (load vs latency, throughput, goodput; cost per probe).
 * Without a numeric x (values that are not numbers), x is the value's index and `xTicks` label it.
 */
export interface CurveChart {
  id: string;
  title: string;
  note: string;
  xLabel: string;
  xTicks?: { x: number; label: string }[];
  /** x is a measured figure in this unit (a cost), not a varied parameter: ticks and tooltips format it. */
  xUnit?: Unit;
  unit: Unit;
  scale: 'linear' | 'log';
  /** Fit the value axis to the data instead of starting it at 0 (close shares apart). */
  fitY?: boolean;
  /** With fitY: the lowest value the axis shows; values below it are drawn at it. */
  yMin?: number;
  series: CurveSeries[];
  refLines: RefLine[];
  /** Vertical markers, e.g. the capacity answer. */
  xRefs: { x: number; label: string; color: string }[];
  xBands: XBand[];
}

/** A sweep or capacity report: curves over the varied parameter, and the scenario at a glance. */
export interface CurveReportData {
  kind: 'sweep' | 'capacity';
  glance: GlanceChart;
  curves: CurveChart[];
}

export type ReportData = RunReportData | CompareReportData | CurveReportData;
