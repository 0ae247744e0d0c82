/**
 * One gateway loop: a Portkey config imported into a scenario (with a template for the providers'
 * behaviour, the workload and the faults), then
 *
 *   measured:  driver -> the real Portkey gateway (the same config, each target's custom_host the
 *              emulator's provider path) -> `floodgate emulate` serving the scenario's providers;
 *   predicted: the simulator on the same imported scenario, over many seeds.
 *
 * Both are reduced to TTFT and E2E p50/p99 per class and the error and retry shares, each with the
 * tolerance its sample size supports (see `tolerance`).
 */
import { readFile } from 'node:fs/promises';
import { type Emulator, startEmulator } from '../../src/emulator/server.ts';
import { parseConfigText } from '../../src/import/config-text.ts';
import { importPortkey } from '../../src/import/portkey.ts';
import { buildScenario, scenarioYaml } from '../../src/import/scenario.ts';
import type { RequestSample } from '../../src/metrics/request-samples.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { parseDuration } from '../../src/scenario/units.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { writeTrace } from '../providers/harness.ts';
import { drive, type Measured, type PlannedRequest, poissonPlan, quantile } from './driver.ts';
import { startPortkey } from './portkey-process.ts';

/** Portkey delays the first chunk of every stream by 25 ms (streamHandler.ts readStream); part of the gateway's measured time. */
export const PORTKEY_FIRST_CHUNK_MS = 25;

export interface LoopSpec {
  name: string;
  /** The Portkey config file (JSON) and the template scenario (YAML) beside it. */
  config: string;
  template: string;
  /** Driver workload: must be what the template's workload says (one class, Poisson). */
  className: string;
  ratePerS: number;
  durationMs: number;
  outputTokens: number;
  model: string;
  /** Seeds the prediction averages over. */
  seeds: number;
  /** A spike on the arrival rate, as the template's timeline says (multiplier over [atMs, atMs + holdMs)). */
  spike?: { atMs: number; holdMs: number; multiplier: number };
}

export interface Row {
  metric: string;
  predicted: number;
  measured: number;
  /** Allowed |measured - predicted|: relative for latencies, absolute (share) for shares. */
  tolerance: number;
  relative: boolean;
  n: number;
  /** What a relative row counts when not milliseconds (calls per session). */
  unit?: 'calls';
  /** A check on the run itself (how the gateway drew), judged by its sample even in strict mode. */
  sampleOnly?: boolean;
}

/** The config with each leaf target's custom_host at the emulator's path for its provider. */
function withHosts(config: unknown, emulatorUrl: string, names: readonly string[]): unknown {
  let leaf = 0;
  const walk = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return node;
    const o = node as Record<string, unknown>;
    if (Array.isArray(o['targets'])) return { ...o, targets: o['targets'].map(walk) };
    const name = names[leaf++]!;
    return { ...o, api_key: 'unused', custom_host: `${emulatorUrl}/p/${name}/v1` };
  };
  return walk(config);
}

export async function importedScenario(spec: LoopSpec) {
  const text = await readFile(spec.config, 'utf8');
  const imported = importPortkey(parseConfigText(text, spec.config));
  const template = parseConfigText(await readFile(spec.template, 'utf8'), spec.template);
  const { scenario, notes } = buildScenario(imported, { name: spec.name }, template);
  return {
    imported,
    scenario,
    yaml: scenarioYaml(scenario, spec.config, notes),
    raw: JSON.parse(text) as unknown,
  };
}

/**
 * The prediction: the imported scenario as the gateway path sees it, replaying the driver's own
 * arrival times (so which requests meet the outage or the spike is the same, and only the
 * providers' draws differ), with the gateway's own time per attempt (measured in the warm-up) as
 * each provider's round trip, over `seeds` seeds; latencies are averaged over seeds.
 */
export async function predict(
  spec: LoopSpec,
  gatewayMs: number,
  plan: readonly PlannedRequest[],
): Promise<{ results: RunResult[]; samples: RequestSample[][] }> {
  const { scenario } = await importedScenario(spec);
  const providers = (scenario['providers'] as Record<string, unknown>[]).map((p) => ({
    ...p,
    rtt: `${Math.round(gatewayMs)}ms`,
  }));
  const trace = await writeTrace(
    plan.map((r) => ({ t: Math.round(r.atMs), prompt: 1, output: r.outputTokens, cls: r.className })),
  );
  const workload = {
    arrivals: { trace: { file: trace, format: 'csv' } },
    classes: [{ name: spec.className }],
  };
  // A trace replays from its first record: the simulated clock runs `offset` behind the driver's,
  // so the faults move as much earlier (which requests meet a fault's edge stays the same).
  const offset = traceOffsetMs(plan);
  const faults = ((scenario['faults'] as Record<string, unknown>[] | undefined) ?? []).map((f) => {
    const at = parseDuration(f['at']);
    if (!('value' in at)) throw new Error(`${spec.template}: a fault's at: ${at.expected}`);
    return { ...f, at: `${Math.max(0, at.value - offset)}ms` };
  });
  const loaded = await loadScenarioText(
    scenarioYaml({ ...scenario, providers, workload, faults }, spec.config, []),
    `${spec.name}-predicted.yaml`,
  );
  const results: RunResult[] = [];
  // Every request's sample too (its outcome and the provider that answered), per seed.
  const samples: RequestSample[][] = [];
  for (let seed = 1; seed <= spec.seeds; seed++)
    results.push(
      await simulate(loaded, {
        seed,
        samples: { limit: plan.length + 1, collect: (s) => samples.push(s) },
      }),
    );
  return { results, samples };
}

/** Where the replayed trace starts on the driver's clock: its first arrival (whole ms, as replayed). */
export function traceOffsetMs(plan: readonly PlannedRequest[]): number {
  return Math.round(plan[0]?.atMs ?? 0);
}

/** The driver's plan: the template's workload as arrival times (the prediction replays the same). */
export function planFor(spec: LoopSpec): PlannedRequest[] {
  const spike = spec.spike;
  return poissonPlan({
    ratePerS: spec.ratePerS,
    durationMs: spec.durationMs,
    seed: `gateway-loop:${spec.name}`,
    className: spec.className,
    outputTokens: spec.outputTokens,
    ...(spike
      ? {
          multiplier: (t: number) =>
            t >= spike.atMs && t < spike.atMs + spike.holdMs ? spike.multiplier : 1,
          maxMultiplier: spike.multiplier,
        }
      : {}),
  });
}

export async function measure(spec: LoopSpec): Promise<Measurement<Measured[]>> {
  return measureWith(spec, (url, headers) =>
    drive({
      url,
      headers,
      model: spec.model,
      plan: planFor(spec),
      maxRequests: 5000,
      deadlineMs: spec.durationMs + 20_000,
    }),
  );
}

/** What a loop measured: the traffic's own record, the emulator's attempts and the machine's state. */
export interface Measurement<T> {
  measured: T;
  attempts: number;
  gatewayMs: number;
  gatewayAfterMs: number;
  emulatorLateShare: number;
  emulatorLagMs: number;
  /** The emulator's answers per provider, by outcome (ok, rate_limited, overloaded, ...). */
  providerRequests: Record<string, Record<string, number>>;
  portkeyLog: string;
}

/**
 * Runs `traffic` against the real gateway (warmed up) in front of the emulator serving the
 * imported scenario; `traffic` gets the gateway's chat URL and the headers carrying the config.
 */
export async function measureWith<T>(
  spec: LoopSpec,
  traffic: (url: string, headers: Record<string, string>) => Promise<T>,
): Promise<Measurement<T>> {
  const { imported, yaml, raw } = await importedScenario(spec);
  const loaded = await loadScenarioText(yaml, `${spec.name}.yaml`);
  let emulator: Emulator | undefined;
  const gateway = await startPortkey();
  try {
    const gatewayMs = await warmUp(gateway.url, spec);
    emulator = await startEmulator(loaded, { timeScale: 1 });
    const config = withHosts(
      raw,
      emulator.url,
      imported.providers.map((p) => p.name),
    );
    const measured = await traffic(`${gateway.url}/v1/chat/completions`, {
      'x-portkey-config': JSON.stringify(config),
    });
    const stats = emulator.stats();
    const emulatorLagMs = stats.maxLagMs;
    const emulatorLateShare = stats.events > 0 ? stats.lateEvents / stats.events : 0;
    let attempts = 0;
    const providerRequests: Record<string, Record<string, number>> = {};
    for (const [name, p] of Object.entries(stats.providers)) providerRequests[name] = p.requests;
    for (const p of Object.values(stats.providers)) for (const n of Object.values(p.requests)) attempts += n;
    // The gateway's time again after the run: the machine's load may have changed meanwhile.
    const gatewayAfterMs = await warmUp(gateway.url, spec, false);
    return {
      measured,
      attempts,
      gatewayMs,
      gatewayAfterMs,
      emulatorLagMs,
      emulatorLateShare,
      providerRequests,
      portkeyLog: gateway.output(),
    };
  } finally {
    await emulator?.close();
    await gateway.stop();
  }
}

export const WARM_UP_TTFT_MS = 100;
export const WARM_UP_YAML = `
name: warm-up
duration: 1m
providers:
  - { name: warm, kind: api, capacity: 1000, ttft: { dist: deterministic, value: ${WARM_UP_TTFT_MS}ms }, outputRate: { dist: deterministic, value: 100/s } }
workload: { arrivals: { rate: 1/s }, classes: [{ name: c }] }
`;

/**
 * Warms the gateway up and measures what it adds to time to first token. A fresh Portkey process
 * answers its first second of requests hundreds of ms late (its code is not compiled yet), so it
 * first gets 3 s of the loop's traffic to a separate emulator with a fixed 100 ms TTFT, then 3 s
 * more whose median TTFT, less 100 ms, is the gateway's own time on this
 * machine at this load (its 25 ms first-chunk delay plus its processing), which the prediction
 * adds as each provider's round trip, as it would a network's.
 */
export async function warmUp(
  gatewayUrl: string,
  spec: Pick<LoopSpec, 'ratePerS' | 'outputTokens'>,
  cold = true,
): Promise<number> {
  const emulator = await startEmulator(await loadScenarioText(WARM_UP_YAML, 'warm-up.yaml'), {
    timeScale: 1,
  });
  try {
    const config = { provider: 'openai', api_key: 'unused', custom_host: `${emulator.url}/p/warm/v1` };
    const phase = (seed: string) =>
      drive({
        url: `${gatewayUrl}/v1/chat/completions`,
        headers: { 'x-portkey-config': JSON.stringify(config) },
        model: 'warm',
        plan: poissonPlan({
          ratePerS: spec.ratePerS,
          durationMs: 3000,
          seed,
          className: 'c',
          outputTokens: spec.outputTokens,
        }),
        maxRequests: 500,
        deadlineMs: 15_000,
      });
    if (cold) await phase('warm-up');
    const measured = (await phase('gateway-time')).filter((m) => m.ok);
    return Math.max(
      0,
      quantile(
        measured.map((m) => m.ttftMs),
        0.5,
      ) - WARM_UP_TTFT_MS,
    );
  } finally {
    await emulator.close();
  }
}

/**
 * Tolerances from the sample size. A quantile: the larger of 10% and the half-width of the
 * distribution-free 99.7% interval of the measured quantile (order statistics at ranks
 * n q +- 3 sqrt(n q (1 - q))), relative to it. A share: the larger of 2 points and 3 standard
 * errors sqrt(p (1 - p) / n). The prediction's own error is made small by averaging seeds.
 */
export function quantileTolerance(values: readonly number[], q: number): number {
  const n = values.length;
  const sorted = [...values].sort((a, b) => a - b);
  const spread = 3 * Math.sqrt(n * q * (1 - q));
  const lo = sorted[Math.max(0, Math.floor(n * q - spread) - 1)]!;
  const hi = sorted[Math.min(n - 1, Math.ceil(n * q + spread) - 1)]!;
  const mid = quantile(values, q);
  return Math.max(0.1, Math.max(mid - lo, hi - mid) / mid);
}

export function shareTolerance(p: number, n: number): number {
  return Math.max(0.02, 3 * Math.sqrt((p * (1 - p)) / n));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function compare(
  spec: LoopSpec,
  predicted: RunResult[],
  m: { measured: Measured[]; attempts: number },
): Row[] {
  const ok = m.measured.filter((r) => r.ok && r.className === spec.className);
  const n = m.measured.length;
  const rows: Row[] = [];
  for (const [metric, key, values] of [
    ['ttft', 'ttft', ok.map((r) => r.ttftMs)],
    ['e2e', 'e2e', ok.map((r) => r.e2eMs)],
  ] as const) {
    for (const [stat, q] of [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const) {
      const pred = mean(predicted.map((r) => r.classes[spec.className]!.latency[key][stat] ?? Number.NaN));
      rows.push({
        metric: `${spec.className} ${metric} ${stat}`,
        predicted: pred,
        measured: quantile(values, q),
        tolerance: quantileTolerance(values, q),
        relative: true,
        n: values.length,
      });
    }
  }
  const errorPred = mean(predicted.map((r) => 1 - r.requests.completed / r.requests.offered));
  const errorMeasured = 1 - ok.length / n;
  rows.push({
    metric: 'error share',
    predicted: errorPred,
    measured: errorMeasured,
    tolerance: shareTolerance(errorMeasured, n),
    relative: false,
    n,
  });
  const retryPred = mean(
    predicted.map((r) => (r.requests.attempts - r.requests.offered) / r.requests.offered),
  );
  const retryMeasured = (m.attempts - n) / n;
  rows.push({
    metric: 'retries per request',
    predicted: retryPred,
    measured: retryMeasured,
    tolerance: shareTolerance(Math.min(1, retryMeasured), n),
    relative: false,
    n,
  });
  return rows;
}

/**
 * Wall-clock figures mean something only on a machine with time to spare: the emulator kept its
 * schedule (under 1% of its events more than 100 ms late; a single late event, a GC pause, moves
 * no quantile) and the warm gateway's own time, before and after the run, is what a gateway on a
 * quiet core takes (under 100 ms; 35-40 ms here when the machine is quiet). On an overloaded
 * machine requests reach the emulator late (so even which ones meet an outage shifts); the loop
 * then says why and judges nothing.
 */
export function unsound(m: {
  gatewayMs: number;
  gatewayAfterMs: number;
  emulatorLateShare: number;
}): string | undefined {
  if (m.emulatorLateShare >= 0.01)
    return `${(100 * m.emulatorLateShare).toFixed(1)}% of the emulator's events ran more than 100 ms late`;
  const worst = Math.max(m.gatewayMs, m.gatewayAfterMs);
  if (worst >= 100)
    return `the warm gateway took ${Math.round(worst)} ms per request (the machine is overloaded)`;
  return undefined;
}

export function within(row: Row): boolean {
  const d = Math.abs(row.measured - row.predicted);
  return row.relative ? d <= row.tolerance * row.predicted : d <= row.tolerance;
}

/** The rows as a Markdown table (for docs/guide/load-testing.md). */
export function markdown(spec: LoopSpec, rows: readonly Row[]): string {
  const fmt = (r: Row, v: number) =>
    r.unit === 'calls' ? v.toFixed(2) : r.relative ? `${Math.round(v)} ms` : `${(100 * v).toFixed(1)}%`;
  const lines = [
    `| ${spec.name}: metric | predicted | measured | difference | tolerance | n |`,
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const diff = r.relative
      ? `${(100 * (r.measured / r.predicted - 1)).toFixed(1)}%`
      : `${(100 * (r.measured - r.predicted)).toFixed(1)} pts`;
    const tol = !Number.isFinite(r.tolerance)
      ? 'unbounded (n)'
      : r.relative
        ? `${(100 * r.tolerance).toFixed(0)}%`
        : `${(100 * r.tolerance).toFixed(1)} pts`;
    lines.push(
      `| ${r.metric} | ${fmt(r, r.predicted)} | ${fmt(r, r.measured)} | ${diff} | ${tol} | ${r.n} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
