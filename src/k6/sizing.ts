/**
 * VU sizing for arrival-rate executors by Little's law: iterations in flight = arrival rate x
 * time in system.
 *
 * k6 drops an iteration whenever it needs a VU beyond those already initialised, even while
 * `maxVUs` is far away (it initialises the extra VU in the background and skips the iteration),
 * so `preAllocatedVUs` must cover the peak concurrency the run really reaches, and `maxVUs` stays
 * the ceiling. Under load a request lasts longer than the unloaded mean (queues, slow providers),
 * so `preAllocatedVUs` takes a high percentile (p90) of the time an iteration holds its VU, from
 * the scenario's timing model sampled with a fixed seed: peak rate x p90 hold x `headroom`, plus
 * three standard deviations of the number in flight (its square root, as for an M/G/inf queue),
 * at most `maxVUs`. `maxVUs` covers the peak rate at the worst latency a request may take before
 * the client gives up (its timeout, retries and backoff), times `headroom`. A run that still
 * runs out of VUs drops iterations, which the `dropped_iterations` threshold reports: the load
 * generator's limit, not the system's.
 *
 * An agent-session class holds a VU for a whole session (one iteration plays all its calls), so
 * its time in system is the session's: its calls' latencies plus the think times between them.
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

/** The percentile of the hold time that sizes `preAllocatedVUs`. */
export const PREALLOCATION_QUANTILE = 0.9;

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
 * The q-quantile (ms) of one try's latency for the class on its slowest candidate provider (the
 * larger quantile), as the scenario's timing model has it at low load: api TTFT + rtt + output
 * tokens at the drawn output rate; a queue's service time; a GPU pool's rough TTFT and per-token
 * time. `outputs` replaces the class's output distribution (trace replay sizes). Seeded: the same
 * scenario gives the same figure.
 */
export function latencyQuantileMs(
  scenario: Scenario,
  c: ClassConfig,
  q: number,
  outputs?: readonly number[],
): number {
  const outDist = createDistribution(c.outputTokens);
  let worst = 0;
  for (const p of candidateProviders(scenario, c)) {
    // Keyed by position, not name: the figure must not depend on what the scenario calls things.
    const rng = new RngStreams(0).get(`k6/sizing/${scenario.providers.indexOf(p)}`);
    const out = () =>
      outputs && outputs.length > 0 ? outputs[Math.floor(rng() * outputs.length)]! : outDist.sample(rng);
    let draw: () => number;
    if (p.kind === 'api') {
      const ttft = createDistribution(p.ttft);
      const rate = createDistribution(p.outputRate);
      draw = () => ttft.sample(rng) + p.rtt + (out() / Math.max(1e-9, rate.sample(rng))) * 1000;
    } else if (p.kind === 'queue') {
      const service = createDistribution(p.service);
      draw = () => service.sample(rng);
    } else draw = () => GPU_TTFT_MS + out() * GPU_MS_PER_TOKEN;
    const xs = Array.from({ length: QUANTILE_DRAWS }, draw).sort((a, b) => a - b);
    worst = Math.max(worst, xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!);
  }
  return worst > 0 ? worst : 1000;
}

/**
 * The q-quantile (ms) of an agent session's length: the call count drawn, each call `callMs`
 * (a high-percentile call), the think times between calls drawn; at most `capMs`.
 */
export function sessionQuantileMs(session: SessionConfig, callMs: number, q: number, capMs: number): number {
  const rng = new RngStreams(0).get('k6/sizing/session');
  const calls = createDistribution(session.calls);
  const think = createDistribution(session.thinkTime);
  const xs = Array.from({ length: QUANTILE_DRAWS }, () => {
    const n = Math.max(1, Math.round(calls.sample(rng)));
    let ms = n * callMs;
    for (let k = 1; k < n; k++) ms += think.sample(rng);
    return Math.min(ms, capMs);
  }).sort((a, b) => a - b);
  return xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
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

/**
 * Little's law with headroom. `maxVUs`: peak rps x the worst hold (s) x headroom, at least 1.
 * `preAllocatedVUs`: L = peak rps x the high-percentile hold (s); L x headroom + 3 sqrt(L), at
 * least 1 and at most `maxVUs`.
 */
export function sizeVus(peakRps: number, holdMs: number, worstMs: number, headroom = 1.5): VuPlan {
  const inFlight = peakRps * (holdMs / 1000);
  const max = Math.max(1, Math.ceil(peakRps * (Math.max(worstMs, holdMs) / 1000) * headroom));
  const pre = Math.min(max, Math.max(1, Math.ceil(inFlight * headroom + 3 * Math.sqrt(inFlight))));
  return { preAllocatedVUs: pre, maxVUs: max };
}
