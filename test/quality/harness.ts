/**
 * A small scenario for exact quality checks: one class at a steady rate with fixed sizes, a weak
 * and a strong hosted model with fixed latencies and ample capacity (no queueing, no
 * degradation), so each request's cost and latency depend only on the models it used.
 */
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';

/** Prompt and output tokens of every request. */
export const PROMPT = 1000;
export const OUTPUT = 100;
/** Per request: weak $0.001 (1000 x $0.5/M + 100 x $5/M), strong $0.02 (1000 x $10/M + 100 x $100/M). */
export const WEAK_USD = 0.001;
export const STRONG_USD = 0.02;

export interface Options {
  /** Requests per second over `seconds` (no warmup). */
  rate?: number;
  seconds?: number;
  weak?: number;
  strong?: number;
  routing?: NonNullable<ScenarioInput['gateway']>['routing'];
  correlation?: number;
  stream?: boolean;
}

export function qualityScenario(o: Options = {}): ScenarioInput {
  const api = (name: string, input: number, output: number, ttftMs: number) => ({
    name,
    kind: 'api' as const,
    models: [name],
    capacity: 100_000,
    queueCapacity: 100_000,
    ttft: { dist: 'deterministic' as const, value: ttftMs },
    outputRate: { dist: 'deterministic' as const, value: 100 },
    pricing: { inputPerMTok: input, outputPerMTok: output },
  });
  return {
    name: 'quality-check',
    duration: (o.seconds ?? 200) * 1000,
    seed: 1,
    providers: [api('weak', 0.5, 5, 200), api('strong', 10, 100, 800)],
    workload: {
      classes: [
        {
          name: 'chat',
          arrivals: { rate: o.rate ?? 50 },
          promptTokens: PROMPT,
          outputTokens: OUTPUT,
          stream: o.stream ?? true,
        },
      ],
    },
    gateway: { routing: o.routing ?? 'round-robin' },
    quality: {
      models: { weak: o.weak ?? 0.6, strong: o.strong ?? 1 },
      estimator: { correlation: o.correlation ?? 1 },
    },
  };
}

export async function runQuality(s: ScenarioInput, seed = 1): Promise<RunResult> {
  return simulate(await loadScenarioObject(s), { seed });
}
