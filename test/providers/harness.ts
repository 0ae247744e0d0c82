/**
 * Test harness shared by provider, workload and gateway tests: provider configs parsed by the real
 * scenario schema (so defaults and units are the ones users get), hand-made requests and attempts,
 * a sink that logs when each attempt was reported, and a one-call scenario runner.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulation } from '../../src/engine/simulation.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { Attempt } from '../../src/providers/attempt.ts';
import type { AttemptSink } from '../../src/providers/provider.ts';
import { WorkItem } from '../../src/providers/work-item.ts';
import { loadScenarioObject, validateScenario } from '../../src/scenario/load.ts';
import type { ApiProviderConfig, QueueProviderConfig, ScenarioInput } from '../../src/scenario/schema.ts';
import { simulate } from '../../src/simulator/simulate.ts';

type ProviderInput = ScenarioInput['providers'][number];

function providerConfig(provider: ProviderInput) {
  const scenario = validateScenario({
    name: 'harness',
    duration: '1m',
    providers: [provider],
    workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
  });
  return scenario.providers[0]!;
}

/** An `api` provider config named `p`, with the schema's defaults for everything not given. */
export function apiConfig(fields: Omit<Extract<ProviderInput, { kind: 'api' }>, 'name' | 'kind'> = {}) {
  return providerConfig({ name: 'p', kind: 'api', ...fields }) as ApiProviderConfig;
}

/** A `queue` provider config named `p`. */
export function queueConfig(fields: Omit<Extract<ProviderInput, { kind: 'queue' }>, 'name' | 'kind'>) {
  return providerConfig({ name: 'p', kind: 'queue', ...fields }) as QueueProviderConfig;
}

let nextId = 0;

/**
 * The arrival facts of a request that arrived at `atMs` with the given sizes (class 0, streamed),
 * optionally sharing prefix `prefixId` over its first `prefixTokens` tokens.
 */
export function makeWork(
  o: { atMs?: number; prompt?: number; output?: number; prefixId?: number; prefixTokens?: number } = {},
): WorkItem {
  return new WorkItem(
    nextId++,
    0,
    o.atMs ?? 0,
    o.prompt ?? 100,
    o.output ?? 10,
    Number.POSITIVE_INFINITY,
    true,
    true,
    o.prefixId ?? -1,
    o.prefixTokens ?? 0,
  );
}

/** A fresh attempt of a fresh request, starting at `atMs`. */
export function makeAttempt(o: { atMs?: number; prompt?: number; output?: number } = {}): Attempt {
  return new Attempt(makeWork(o), undefined, 1, 0, o.atMs ?? 0);
}

/** Logs every report with the simulated time it came at. */
export class SinkLog implements AttemptSink {
  readonly reports: { attempt: Attempt; atMs: number }[] = [];
  private readonly sim: Simulation;
  constructor(sim: Simulation) {
    this.sim = sim;
  }
  attemptDone(attempt: Attempt): void {
    this.reports.push({ attempt, atMs: this.sim.now() });
  }
  /** Reports of `a` so far. */
  of(a: Attempt): { attempt: Attempt; atMs: number }[] {
    return this.reports.filter((r) => r.attempt === a);
  }
}

/** Submits `a` to `provider` at `a.startMs` (the simulation must not be past it). */
export function submitAt(sim: Simulation, provider: { submit(a: Attempt): void }, a: Attempt): void {
  sim.at(a.startMs, () => provider.submit(a), undefined);
}

/** Validates and runs a scenario object. */
export async function run(input: ScenarioInput, seed?: number): Promise<RunResult> {
  return simulate(await loadScenarioObject(input), seed === undefined ? {} : { seed });
}

/** A trace CSV (`time_ms,prompt_tokens,output_tokens,class`) for exact arrival times and classes. */
export function traceCsv(
  rows: readonly { t: number; prompt?: number; output?: number; cls: string }[],
): string {
  return `time_ms,prompt_tokens,output_tokens,class\n${rows
    .map((r) => `${r.t},${r.prompt ?? 100},${r.output ?? 10},${r.cls}`)
    .join('\n')}\n`;
}

let traceDir: Promise<string> | undefined;
let traceFiles = 0;

/** Writes `traceCsv(rows)` to a new file in this process's temporary directory; returns its path. */
export async function writeTrace(
  rows: readonly { t: number; prompt?: number; output?: number; cls: string }[],
): Promise<string> {
  traceDir ??= mkdtemp(join(tmpdir(), 'floodgate-trace-'));
  const file = join(await traceDir, `trace-${traceFiles++}.csv`);
  await writeFile(file, traceCsv(rows));
  return file;
}

/** Sum of an array of time-series values over windows [from, to). */
export function sumWindows(series: readonly (number | null)[], from = 0, to = series.length): number {
  let s = 0;
  for (let i = from; i < Math.min(to, series.length); i++) s += series[i] ?? 0;
  return s;
}

export { Simulation };
