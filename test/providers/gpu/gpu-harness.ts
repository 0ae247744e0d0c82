/**
 * Helpers for the GPU pool tests: pool configs parsed by the real scenario schema (so defaults are
 * the ones users get), pools driven directly on a Simulation, requests with shared prefixes, and
 * the arithmetic of the fitted iteration-time model for one sequence served alone.
 */

import { Simulation } from '../../../src/engine/simulation.ts';
import { Attempt } from '../../../src/providers/attempt.ts';
import { FaultyProvider } from '../../../src/providers/faults/faulty-provider.ts';
import { GpuPool } from '../../../src/providers/gpu/gpu-pool.ts';
import { resolveGpuSetup } from '../../../src/providers/gpu/setup.ts';
import type { FittedCoefficients } from '../../../src/providers/gpu/time-model.ts';
import { validateScenario } from '../../../src/scenario/load.ts';
import type { GpuProviderConfig, ScenarioInput } from '../../../src/scenario/schema.ts';
import { makeWork, SinkLog } from '../harness.ts';

export type GpuInput = Omit<Extract<ScenarioInput['providers'][number], { kind: 'gpu' }>, 'name' | 'kind'>;

/**
 * Fitted coefficients whose sums are exact in binary floating point (powers of two, few bits),
 * so simulated times equal the arithmetic below to the last bit.
 */
export const K: FittedCoefficients = { a: 8, b: 0.25, c: 1.5, d: 2 ** -10, e: 2 ** -12, f: 5, g: -3 };

/** A `gpu` provider input named `p`: one replica of Llama-3.1-8B on an H100 with timing K. */
export function gpuInput(
  fields: Partial<GpuInput> = {},
): Extract<ScenarioInput['providers'][number], { kind: 'gpu' }> {
  return {
    name: 'p',
    kind: 'gpu',
    model: 'llama-3.1-8b',
    gpu: 'h100-80gb',
    replicas: 1,
    timing: { model: 'fitted', coefficients: K },
    ...fields,
  };
}

/** The validated config of `gpuInput(fields)`. */
export function gpuConfig(fields: Partial<GpuInput> = {}): GpuProviderConfig {
  const scenario = validateScenario({
    name: 'gpu-harness',
    duration: '1m',
    providers: [gpuInput(fields)],
    workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
  });
  return scenario.providers[0] as GpuProviderConfig;
}

/**
 * A pool driven directly: its simulation, a sink logging reports, the pool, and the pool under
 * its fault wrapper (`provider`, as a scenario builds it), which passes the pool's reports on.
 */
export function makePool(fields: Partial<GpuInput> = {}, rng: () => number = () => 0.5) {
  const sim = new Simulation();
  const sink = new SinkLog(sim);
  const provider = new FaultyProvider(
    (s, faults) => new GpuPool(resolveGpuSetup(gpuConfig(fields)), sim, s, rng, faults),
    sim,
    sink,
    rng,
  );
  return { sim, sink, pool: provider.inner, provider };
}

/** An attempt of a fresh request arriving at `atMs`, optionally sharing prefix `prefixId`. */
export function gpuAttempt(
  o: { atMs?: number; prompt?: number; output?: number; prefixId?: number; prefixTokens?: number } = {},
): Attempt {
  return new Attempt(makeWork(o), undefined, 1, 0, o.atMs ?? 0);
}

/** Submits attempts to the pool at their start times (through its balancer). */
export function submitAll(sim: Simulation, pool: { submit(a: Attempt): void }, attempts: readonly Attempt[]) {
  for (const a of attempts) sim.at(a.startMs, () => pool.submit(a), undefined);
}

/** Prefill part of one iteration under fitted coefficients k: max(f, g + b x tokens + e x attention). */
export function prefillMs(k: FittedCoefficients, tokens: number, attention: number): number {
  return Math.max(k.f, k.g + k.b * tokens + k.e * attention);
}

/**
 * TTFT and end of one sequence served alone (prompt P, output N), prefilled in chunks of `chunk`
 * tokens (P or more: one prefill iteration), then N - 1 decode steps over contexts P + 1 ...
 * P + N - 1.
 */
export function aloneTimes(k: FittedCoefficients, P: number, N: number, chunk = P) {
  let ttft = 0;
  for (let done = 0; done < P; done += chunk) {
    const c = Math.min(chunk, P - done);
    ttft += k.a + prefillMs(k, c, c * (done + c / 2));
  }
  let decode = 0;
  for (let step = 0; step < N - 1; step++) decode += k.a + k.c + k.d * (P + 1 + step);
  return { ttft, e2e: ttft + decode, tpot: N > 1 ? decode / (N - 1) : Number.NaN };
}

export { Simulation };
