/**
 * Per request, what the gateway did with it: answered by the primary at once, answered by the
 * primary after waiting on 429s, failed over to the fallback, or failed. The measured side reads
 * Portkey's response headers (which target answered, how many retries it made there); the
 * predicted side reads the simulator's per-request samples (which provider answered, and a TTFT
 * past Portkey's first 1 s backoff, which only a retried request reaches: the template's primary
 * answers within 1 s).
 */
import type { RequestSample } from '../../src/metrics/request-samples.ts';
import type { Measured, PlannedRequest } from './driver.ts';
import { type LoopSpec, type Row, shareTolerance, traceOffsetMs } from './loop.ts';

/** The loop: dialect.portkey.json with dialect.template.yaml, 10 requests/s for 30 s. */
export const DIALECT: LoopSpec = {
  name: 'dialect',
  config: 'test/gateway-loop/dialect.portkey.json',
  template: 'test/gateway-loop/dialect.template.yaml',
  className: 'chat',
  ratePerS: 10,
  durationMs: 30_000,
  outputTokens: 50,
  model: 'gpt-4o',
  seeds: 10,
};
export const PRIMARY = 'anthropic-1';
export const FALLBACK = 'openai-2';
/** The primary's overload (capacity-loss) window in the template. */
export const OVERLOAD = { fromMs: 20_000, toMs: 26_000 };

export type Route = 'primary' | 'waited' | 'failed-over' | 'error' | 'unknown';
export const ROUTES: readonly Route[] = ['primary', 'waited', 'failed-over', 'error'];

/** Portkey's first backoff step (async-retry's minTimeout): a retried answer comes after it. */
export const FIRST_BACKOFF_MS = 1000;

/** The route Portkey's headers give; 'unknown' when they are missing or the emulator's provider disagrees. */
export function measuredRoute(m: Measured, primary: string, fallback: string): Route {
  if (!m.ok) return 'error';
  if (m.provider !== (m.optionIndex === 1 ? fallback : primary)) return 'unknown';
  if (m.optionIndex === 1) return 'failed-over';
  if (m.optionIndex === 0) return m.retryCount > 0 ? 'waited' : 'primary';
  return 'unknown';
}

export function predictedRoute(s: RequestSample, fallback: string): Route {
  if (s.outcome !== 'ok') return 'error';
  if (s.provider === fallback) return 'failed-over';
  return (s.ttftMs ?? 0) > FIRST_BACKOFF_MS ? 'waited' : 'primary';
}

/**
 * The predicted route of each planned request (by arrival order), the most common over the seeds.
 * The replayed trace has the plan's times rounded to whole ms, from the first: a sample is matched
 * to its request by that time and its arrival order.
 */
export function predictedRoutes(
  plan: readonly PlannedRequest[],
  samplesBySeed: readonly RequestSample[][],
  fallback: string,
): Route[] {
  const votes = plan.map(() => new Map<Route, number>());
  const offset = traceOffsetMs(plan);
  for (const samples of samplesBySeed) {
    const sorted = [...samples].sort((a, b) => a.id - b.id);
    if (sorted.length !== plan.length)
      throw new Error(`the prediction has ${sorted.length} requests for ${plan.length} planned`);
    sorted.forEach((s, i) => {
      if (s.arrivalMs + offset !== Math.round(plan[i]!.atMs))
        throw new Error(`request ${i}: predicted at ${s.arrivalMs} ms, planned at ${plan[i]!.atMs} ms`);
      const route = predictedRoute(s, fallback);
      votes[i]!.set(route, (votes[i]!.get(route) ?? 0) + 1);
    });
  }
  return votes.map((v) => [...v.entries()].sort((a, b) => b[1] - a[1])[0]![0]);
}

/** Requests on which the two sides disagree about failing over, with their arrival times. */
export function failoverDifferences(
  plan: readonly PlannedRequest[],
  predicted: readonly Route[],
  measured: readonly Route[],
): { index: number; atMs: number; predicted: Route; measured: Route }[] {
  const out: { index: number; atMs: number; predicted: Route; measured: Route }[] = [];
  plan.forEach((p, i) => {
    if ((predicted[i] === 'failed-over') !== (measured[i] === 'failed-over'))
      out.push({ index: i, atMs: p.atMs, predicted: predicted[i]!, measured: measured[i]! });
  });
  return out;
}

/** The share of requests on each route, predicted (mean over seeds) against measured. */
export function routeRows(
  samplesBySeed: readonly RequestSample[][],
  measured: readonly Route[],
  fallback: string,
): Row[] {
  const n = measured.length;
  return ROUTES.map((route) => {
    const pred =
      samplesBySeed.reduce(
        (sum, samples) =>
          sum + samples.filter((s) => predictedRoute(s, fallback) === route).length / samples.length,
        0,
      ) / samplesBySeed.length;
    const meas = measured.filter((r) => r === route).length / n;
    return {
      metric: `${route} share`,
      predicted: pred,
      measured: meas,
      tolerance: shareTolerance(meas, n),
      relative: false,
      n,
    };
  });
}

/**
 * How far from an overload's edge a request may land on the other side of it in the measured run:
 * a request reaches the emulator after the gateway's own time (under 100 ms on a sound run), the
 * emulator may run an event up to 100 ms late (more only for under 1% of them), and its clock
 * starts a few ms before the driver's.
 */
export const EDGE_MS = 250;
