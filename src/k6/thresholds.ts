/**
 * k6 thresholds from the scenario's SLOs: a class SLO checks that class's metric
 * (`floodgate_<class>_ttft`), a scenario-wide one the overall metric (`floodgate_ttft`). Latency
 * statistics map to trend aggregations (p99 -> p(99), mean -> avg), shares to rates
 * (errorShare <= 5% -> floodgate_error_rate: rate<=0.05). Whatever the SLOs say,
 * `dropped_iterations` must stay 0, overall and per class scenario, so a load generator short of
 * VUs shows up as a failed threshold instead of as a quiet system.
 *
 * Example: { class: tab, metric: ttft.p99, max: 1.5s } -> 'floodgate_tab_ttft': ['p(99)<=1500'].
 */
import type { SloConfig } from '../scenario/schema.ts';
import { SLO_METRICS } from './coverage.ts';
import type { K6Mode } from './script-config.ts';

const STAT_EXPR: Record<string, string> = {
  p50: 'p(50)',
  p90: 'p(90)',
  p95: 'p(95)',
  p99: 'p(99)',
  'p99.9': 'p(99.9)',
  mean: 'avg',
  max: 'max',
};

/** The metric prefix of the whole run (class metrics are `floodgate_<class>_...`). */
export const OVERALL_PREFIX = 'floodgate';

/**
 * Thresholds for `slos`. `prefixes` maps class names to their metric prefix; an SLO on a class
 * that has no k6 scenario (no arrivals) or on a metric k6 cannot see is left out (the compiler's
 * coverage notes say why). `scenarios` are the k6 scenario names for the dropped-iterations checks.
 */
export function buildThresholds(
  slos: readonly SloConfig[],
  prefixes: ReadonlyMap<string, string>,
  scenarios: readonly string[],
  mode: K6Mode,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (metric: string, expr: string) => {
    const list = (out[metric] ??= []);
    if (!list.includes(expr)) list.push(expr);
  };
  for (const slo of slos) {
    const [family, stat] = slo.metric.split('.') as [keyof typeof SLO_METRICS, string | undefined];
    const m = SLO_METRICS[family];
    if ('unsupported' in m || (m.sseOnly && mode !== 'sse')) continue;
    const prefix = slo.class === undefined ? OVERALL_PREFIX : prefixes.get(slo.class);
    if (prefix === undefined) continue;
    const op = slo.bound === 'max' ? '<=' : '>=';
    const agg = stat === undefined ? 'rate' : STAT_EXPR[stat];
    if (agg === undefined) continue;
    add(`${prefix}_${m.metric}`, `${agg}${op}${roundThreshold(slo.threshold)}`);
  }
  add('dropped_iterations', 'count==0');
  for (const s of scenarios) add(`dropped_iterations{scenario:${s}}`, 'count==0');
  return out;
}

/** Thresholds are text: keep 6 significant digits so 0.05 stays 0.05. */
function roundThreshold(v: number): string {
  return String(Number(v.toPrecision(6)));
}
