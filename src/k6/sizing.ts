/**
 * VU sizing for arrival-rate executors by Little's law: requests in flight = arrival rate x time
 * in system. `preAllocatedVUs` covers the peak rate at the expected latency, `maxVUs` the peak
 * rate at the worst latency a request may take before the client gives up (its timeout, retries
 * and backoff), both times `headroom`. A run that still runs out of VUs drops iterations, which
 * the `dropped_iterations` threshold reports: the load generator's limit, not the system's.
 *
 * An agent-session class holds a VU for a whole session (one iteration plays all its calls), so
 * its time in system is the session's: E[calls] x (call latency) + (E[calls] - 1) x E[think time].
 */
import { createDistribution, type DistributionSpec } from '../engine/dist/index.ts';
import { RngStreams } from '../engine/rng.ts';
import type { ClassConfig, ClientConfig, ProviderConfig, Scenario } from '../scenario/schema.ts';

/** Rough decode time per output token on a self-hosted pool, for sizing only. */
const GPU_MS_PER_TOKEN = 25;
/** Rough time to first token on a self-hosted pool, for sizing only. */
const GPU_TTFT_MS = 500;

/** The providers that may serve a class: its `providers`, else those serving its `models`, else all. */
export function candidateProviders(scenario: Scenario, c: ClassConfig): ProviderConfig[] {
  if (c.providers) return scenario.providers.filter((p) => c.providers!.includes(p.name));
  if (c.models) {
    const models = c.models;
    const serving = scenario.providers.filter((p) => (p.models ?? [p.name]).some((m) => models.includes(m)));
    if (serving.length > 0) return serving;
  }
  return scenario.providers;
}

const mean = (spec: DistributionSpec) => createDistribution(spec).mean;

/** Draws for `quantile` (enough for a p99 within a few percent, for sizing only). */
const QUANTILE_DRAWS = 4000;

/** The q-quantile of a distribution, estimated from a fixed seeded sample (deterministic). */
export function quantile(spec: DistributionSpec, q: number): number {
  const d = createDistribution(spec);
  const rng = new RngStreams(0).get('k6/sizing');
  const xs = Array.from({ length: QUANTILE_DRAWS }, () => d.sample(rng)).sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
}

/**
 * Expected time in system of one request of the class (ms), from the scenario's provider models
 * at low load: the slowest candidate provider's TTFT plus mean output tokens at its output rate.
 * `outputMean` overrides the class's output distribution (trace replay).
 */
export function expectedLatencyMs(scenario: Scenario, c: ClassConfig, outputMean?: number): number {
  const out = outputMean ?? mean(c.outputTokens);
  let worst = 0;
  for (const p of candidateProviders(scenario, c)) {
    let ms: number;
    if (p.kind === 'api') ms = mean(p.ttft) + p.rtt + (out / mean(p.outputRate)) * 1000;
    else if (p.kind === 'queue') ms = mean(p.service);
    else ms = GPU_TTFT_MS + out * GPU_MS_PER_TOKEN;
    worst = Math.max(worst, ms);
  }
  return worst > 0 ? worst : 1000;
}

/**
 * The longest a request may hold a VU (ms): every try up to its timeout plus the backoff caps
 * between them; without a client timeout, 4x the expected latency (at least 30 s).
 */
export function worstLatencyMs(client: ClientConfig, expectedMs: number): number {
  const tries = client.retries.max + 1;
  const perTry = client.timeout ?? Math.max(4 * expectedMs, 30_000);
  const patience = client.abandonAfter ? mean(client.abandonAfter) * 3 : Number.POSITIVE_INFINITY;
  return Math.min(perTry * tries + client.retries.max * client.retries.backoff.cap, patience);
}

type SessionConfig = NonNullable<ClassConfig['session']>;

/**
 * Expected length of one agent session (ms): E[calls] calls of `callMs` each and a think time
 * between consecutive calls (SessionRunner thinks after every call but the last).
 */
export function expectedSessionMs(session: SessionConfig, callMs: number): number {
  const calls = Math.max(1, mean(session.calls));
  return calls * callMs + (calls - 1) * mean(session.thinkTime);
}

/**
 * The longest a session may hold a VU (ms): p99 of the call count, each call at its worst
 * (`worstCallMs`) followed by a p99 think time, but never more than `capMs` (the scaled run plus
 * gracefulStop: k6 stops every iteration by then).
 */
export function worstSessionMs(session: SessionConfig, worstCallMs: number, capMs: number): number {
  const calls = Math.max(1, Math.round(quantile(session.calls, 0.99)));
  return Math.min(calls * (worstCallMs + quantile(session.thinkTime, 0.99)), capMs);
}

export interface VuPlan {
  preAllocatedVUs: number;
  maxVUs: number;
}

/** Little's law with headroom: peak rps x latency (s) x headroom, at least 1. */
export function sizeVus(peakRps: number, expectedMs: number, worstMs: number, headroom = 1.5): VuPlan {
  const pre = Math.max(1, Math.ceil(peakRps * (expectedMs / 1000) * headroom));
  const max = Math.max(pre, Math.ceil(peakRps * (Math.max(worstMs, expectedMs) / 1000) * headroom));
  return { preAllocatedVUs: pre, maxVUs: max };
}
