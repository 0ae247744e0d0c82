/**
 * The k6 compiler: a loaded scenario -> the `ScriptConfig` a generated script carries (k6 options
 * with one ramping-arrival-rate scenario per class, thresholds, and what each iteration needs to
 * build and time its request). Pure: no IO (traces come loaded with the scenario); bundle.ts turns
 * the result into one k6 script.
 *
 * Reading guide: `compileK6` below, then stages.ts (rate profile -> stages), sizing.ts (VUs),
 * thresholds.ts (SLOs), coverage.ts (what each scenario field becomes).
 */
import { createDistribution } from '../engine/dist/index.ts';
import { FloodgateError } from '../errors.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { ArrivalsConfig, ClassConfig, ClientConfig, Scenario, TraceConfig } from '../scenario/schema.ts';
import { RateTimeline } from '../workload/timeline/rate-timeline.ts';
import type { Trace } from '../workload/trace.ts';
import { dialectOfClass } from './class-dialect.ts';
import { coverageNotes } from './coverage.ts';
import {
  type ClassPlan,
  type ClientPlan,
  type K6Mode,
  type K6Options,
  type K6RampingArrivalRate,
  SCRIPT_CONFIG_SCHEMA,
  type ScriptConfig,
  type TracePlan,
  type TraceRecords,
} from './script-config.ts';
import {
  expectedLatencyMs,
  latencyQuantileMs,
  PREALLOCATION_QUANTILE,
  quantile,
  sessionQuantileMs,
  sizeVus,
  worstLatencyMs,
  worstSessionMs,
} from './sizing.ts';
import {
  countsProfile,
  type RatePoint,
  type StagePlan,
  scaleProfile,
  timelineProfile,
  toK6Stages,
} from './stages.ts';
import { buildThresholds, OVERALL_PREFIX } from './thresholds.ts';

export interface CompileOptions {
  mode?: K6Mode;
  /** Real seconds per scenario second (default 1). */
  timeScale?: number;
  /** Multiplier on every arrival rate (default 1). */
  rateScale?: number;
  /** Seed for request bodies (default: the scenario's). */
  seed?: number;
  /** Target used when FLOODGATE_TARGET is unset. */
  target?: string;
  /** Little's-law headroom for VUs (default 1.5). */
  headroom?: number;
}

export interface CompiledK6 {
  config: ScriptConfig;
  /** Trace records of the classes that replay a trace (bundled into a SharedArray). */
  traces: TraceRecords;
  /** Requests all stages start together, a whole number (a session class's iterations times its mean call count). */
  expectedRequests: number;
  /** What k6 does not reproduce of this scenario, one line each. */
  notes: string[];
}

/** The provider emulator's default address (`floodgate emulate`), so the two work together as is. */
export const DEFAULT_TARGET = 'http://localhost:8000';
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'count'];
/** Real-time bin of trace replay stages. */
const TRACE_BIN_MS = 1000;
/** Most trace records inlined per class (sizes are resampled evenly beyond it). */
const MAX_TRACE_RECORDS = 100_000;

/** Compiles a loaded scenario into the configuration of one k6 script. */
export function compileK6(loaded: LoadedScenario, options: CompileOptions = {}): CompiledK6 {
  const scenario = loaded.scenario;
  const mode = options.mode ?? 'stock';
  const timeScale = options.timeScale ?? 1;
  const rateScale = options.rateScale ?? 1;
  if (!(timeScale > 0) || !(rateScale > 0))
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `expected a time scale and a rate scale greater than 0, got ${timeScale} and ${rateScale}`,
    );
  const seed = options.seed ?? scenario.seed;
  const notes = coverageNotes(scenario, mode);
  if (timeScale !== 1 && scenario.workload.classes.some((c) => c.session))
    notes.push(
      `--time-scale ${timeScale}: think times and latencies are not scaled, so sessions last as long as unscaled while the run is shorter: expect more of them unfinished at the end`,
    );
  const names = uniqueNames(scenario.workload.classes.map((c) => c.name));
  const shared = scenario.workload.classes.filter((c) => !c.arrivals);
  const totalShare = shared.reduce((a, c) => a + c.share, 0);

  const classes: ClassPlan[] = [];
  const traces: TraceRecords = {};
  const k6Scenarios: Record<string, K6RampingArrivalRate> = {};
  scenario.workload.classes.forEach((c, i) => {
    const arrivals = c.arrivals ?? scenario.workload.arrivals;
    if (!arrivals) return;
    const shareOfShared = c.arrivals ? 1 : totalShare > 0 ? c.share / totalShare : 0;
    const { points, trace, records } = classProfile(loaded, arrivals, c, shareOfShared, timeScale, rateScale);
    const plan = toK6Stages(points);
    if (!plan) {
      notes.push(`class '${c.name}': no arrivals in the run; no k6 scenario`);
      return;
    }
    const client = c.client ?? scenario.workload.client;
    const outputs = records && !c.session ? records.map((r) => r[1]) : undefined;
    const outputMean = outputs ? mean(outputs) : undefined;
    // A request holds its VU for the debounce too; a session class's VU for the whole session.
    const debounce = c.debounce ?? 0;
    const callMs = expectedLatencyMs(scenario, c, outputMean);
    const worstCallMs = worstLatencyMs(client, callMs) + debounce;
    // A try lasts at most the client timeout: the high-percentile hold is capped by it.
    const perTryMs = client.timeout ?? Number.POSITIVE_INFINITY;
    // The next keystroke (cancelAfter, from the arrival) cuts a request, debounce included.
    const keystrokeMs = c.cancelAfter
      ? quantile(c.cancelAfter, PREALLOCATION_QUANTILE)
      : Number.POSITIVE_INFINITY;
    const holdCallMs = Math.min(
      Math.min(latencyQuantileMs(scenario, c, PREALLOCATION_QUANTILE, outputs), perTryMs) + debounce,
      keystrokeMs,
    );
    // k6 stops every iteration by the end of the run plus gracefulStop: no session lasts longer.
    const longestMs = scenario.duration * timeScale + drainMs(scenario.drain);
    const vus = c.session
      ? sizeVus(
          plan.peakRps,
          sessionQuantileMs(c.session, holdCallMs, PREALLOCATION_QUANTILE, longestMs),
          worstSessionMs(c.session, worstCallMs, longestMs),
          options.headroom,
        )
      : sizeVus(plan.peakRps, holdCallMs, worstCallMs, options.headroom);
    const { scenarioName, metricPrefix } = names[i]!;
    if (records) traces[c.name] = records;
    k6Scenarios[scenarioName] = k6Scenario(plan, vus, scenario.drain, c.name);
    classes.push({
      name: c.name,
      scenario: scenarioName,
      metricPrefix,
      model: modelOf(scenario, c),
      api: dialectOfClass(scenario, c),
      stream: c.stream,
      promptTokens: c.promptTokens,
      outputTokens: c.outputTokens,
      prefix: c.prefix ? { groups: c.prefix.groups, tokens: c.prefix.tokens } : null,
      trace,
      client: clientPlan(client),
      cancelAfter: c.cancelAfter ?? null,
      debounceMs: c.debounce ?? null,
      session: c.session
        ? {
            calls: c.session.calls,
            toolTokens: c.session.toolTokens,
            thinkTime: c.session.thinkTime,
            maxContext: c.session.maxContext,
            retries: c.session.retries,
          }
        : null,
      slo: { ttftMs: c.slo.ttft ?? null, tpotMs: c.slo.tpot ?? null, e2eMs: c.slo.e2e ?? null },
      startOffsetMs: plan.startOffsetMs,
      // A count: whole iterations (the stages' integral, rounded); rates stay fractional.
      expectedIterations: Math.round(plan.expectedIterations),
      priority: c.priority,
      tenant: c.tenant ?? null,
      deadlineMs: c.deadline ?? null,
    });
  });
  if (classes.length === 0)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `${loaded.file}: no class has any arrivals within the duration: nothing for k6 to send`,
    );
  const prefixes = new Map(classes.map((c) => [c.name, c.metricPrefix]));
  const k6Options: K6Options = {
    scenarios: k6Scenarios,
    thresholds: buildThresholds(
      scenario.slos,
      prefixes,
      classes.map((c) => c.scenario),
      mode,
    ),
    summaryTrendStats: [...SUMMARY_TREND_STATS],
    summaryTimeUnit: 'ms',
    discardResponseBodies: false,
  };
  const config: ScriptConfig = {
    schema: SCRIPT_CONFIG_SCHEMA,
    scenario: {
      name: scenario.name,
      file: loaded.file,
      seed,
      durationMs: scenario.duration,
      warmupMs: scenario.warmup,
    },
    mode,
    timeScale,
    rateScale,
    defaultTarget: options.target ?? DEFAULT_TARGET,
    classes,
    options: k6Options,
  };
  // A session iteration sends a session's calls: count them at their mean.
  const expectedRequests = classes.reduce(
    (a, c) =>
      a + c.expectedIterations * (c.session ? Math.max(1, createDistribution(c.session.calls).mean) : 1),
    0,
  );
  return { config, traces, expectedRequests: Math.round(expectedRequests), notes };
}

/** The real-time rate profile of one class (and its trace sizes when the arrivals are a trace). */
function classProfile(
  loaded: LoadedScenario,
  arrivals: ArrivalsConfig,
  c: ClassConfig,
  shareOfShared: number,
  timeScale: number,
  rateScale: number,
): TraceProfile {
  const scenario = loaded.scenario;
  if (arrivals.trace) {
    const trace = loaded.traces.get(arrivals.trace.file);
    if (!trace) throw new Error(`trace ${arrivals.trace.file} was not loaded`);
    const classNames = new Set(scenario.workload.classes.map((k) => k.name));
    return traceProfile(trace, arrivals.trace, scenario.duration, timeScale, rateScale, (named) =>
      c.arrivals
        ? 1
        : named !== undefined && classNames.has(named)
          ? named === c.name
            ? 1
            : 0
          : shareOfShared,
    );
  }
  const timeline = new RateTimeline(arrivals.rate ?? 0, arrivals.timeline);
  const points = timelineProfile(timeline, arrivals.timeline, scenario.duration, shareOfShared);
  return { points: scaleProfile(points, timeScale, rateScale), trace: null, records: null };
}

/** A class's rate profile and, for trace replay, its records and how iterations map onto them. */
export interface TraceProfile {
  points: RatePoint[];
  trace: TracePlan | null;
  records: [number, number][] | null;
}

/**
 * Trace replay as counts per real second: the records the simulator's TraceArrivals would play
 * (same start, speed and loop), each counting rateScale x weight(record's class) x the run's
 * rate and time scales, so the class keeps the trace's burstiness second by second.
 */
export function traceProfile(
  trace: Trace,
  config: TraceConfig,
  durationMs: number,
  timeScale: number,
  rateScale: number,
  weightOf: (namedClass: string | undefined) => number,
): TraceProfile {
  const bins = new Array<number>(Math.max(1, Math.ceil((durationMs * timeScale) / TRACE_BIN_MS))).fill(0);
  const records: [number, number][] = [];
  let total = 0;
  const times = trace.timesMs;
  let first = 0;
  while (first < times.length && times[first]! < config.start) first++;
  const n = times.length - first;
  if (n > 0) {
    const span = times[times.length - 1]! - times[first]!;
    const loopGap = span + (n > 1 ? span / (n - 1) : 1000);
    for (let offset = 0; ; offset += loopGap) {
      let past = false;
      for (let i = first; i < times.length; i++) {
        const t = (times[i]! - config.start + offset) / config.speed;
        if (t >= durationMs) {
          past = true;
          break;
        }
        const w = config.rateScale * weightOf(trace.classes?.[i]) * rateScale * timeScale;
        if (!(w > 0)) continue;
        bins[Math.floor((t * timeScale) / TRACE_BIN_MS)]! += w;
        total += w;
        records.push([Math.max(1, trace.promptTokens[i]!), Math.max(1, trace.outputTokens[i]!)]);
      }
      if (past || !config.loop || !(loopGap > 0)) break;
    }
  }
  const points = countsProfile(bins, TRACE_BIN_MS);
  if (records.length === 0) return { points, trace: null, records: null };
  const keep = Math.min(records.length, MAX_TRACE_RECORDS);
  const kept =
    keep === records.length
      ? records
      : Array.from({ length: keep }, (_, k) => records[Math.floor((k * records.length) / keep)]!);
  return { points, trace: { records: keep, iterationsPerRecord: round3(total / keep) || 1 }, records: kept };
}

function k6Scenario(
  plan: StagePlan,
  vus: { preAllocatedVUs: number; maxVUs: number },
  drain: number,
  className: string,
): K6RampingArrivalRate {
  return {
    executor: 'ramping-arrival-rate',
    startRate: plan.startRate,
    timeUnit: plan.timeUnit,
    stages: plan.stages,
    preAllocatedVUs: vus.preAllocatedVUs,
    maxVUs: vus.maxVUs,
    startTime: `${plan.startOffsetMs}ms`,
    gracefulStop: `${drainMs(drain) / 1000}s`,
    exec: 'default',
    tags: { floodgate_class: className },
  };
}

/**
 * gracefulStop, whole seconds: the scenario's drain. Iterations still running when the last stage
 * ends may finish for that long (a session goes on making calls, as in the simulator's drain);
 * k6 then interrupts them, and a session it interrupts counts as unfinished.
 */
function drainMs(drain: number): number {
  return Math.ceil(drain / 1000) * 1000;
}

function clientPlan(client: ClientConfig): ClientPlan {
  return {
    timeoutMs: client.timeout ?? null,
    retries: {
      max: client.retries.max,
      on: [...client.retries.on],
      backoff: { ...client.retries.backoff },
      respectRetryAfter: client.retries.respectRetryAfter,
    },
    abandonAfter: client.abandonAfter ?? null,
  };
}

/** The `model` of a class's requests: its first model, else its first provider's, else the first provider's. */
export function modelOf(scenario: Scenario, c: ClassConfig): string {
  if (c.models?.[0]) return c.models[0];
  const provider = c.providers
    ? scenario.providers.find((p) => p.name === c.providers![0])
    : scenario.providers[0];
  if (!provider) return c.name;
  return provider.models?.[0] ?? provider.name;
}

/**
 * k6 names for each class, mapped from any text: scenario names allow letters, digits, _ and -;
 * metric names letters, digits and _, starting with a letter, at most 128 characters (the prefix
 * `floodgate_`, at most 90 of the class's, a collision suffix and the longest metric suffix,
 * `_sessions_completed`, stay within it). Collisions get a numeric suffix; `__proto__` is taken
 * from the start, since as a key of the options' `scenarios` it would set their prototype.
 */
function uniqueNames(classNames: readonly string[]): { scenarioName: string; metricPrefix: string }[] {
  const seenScenarios = new Set<string>(['__proto__']);
  const seenPrefixes = new Set<string>([OVERALL_PREFIX]);
  const unique = (base: string, seen: Set<string>) => {
    let name = base;
    for (let k = 2; seen.has(name); k++) name = `${base}_${k}`;
    seen.add(name);
    return name;
  };
  return classNames.map((n) => ({
    scenarioName: unique(n.replace(/[^A-Za-z0-9_-]/g, '_') || 'class', seenScenarios),
    metricPrefix: unique(`${OVERALL_PREFIX}_${n.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 90)}`, seenPrefixes),
  }));
}

function mean(values: readonly number[]): number {
  return values.reduce((a, v) => a + v, 0) / Math.max(1, values.length);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
