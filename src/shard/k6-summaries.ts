/**
 * The summaries of a k6-operator TestRun's runners (one `floodgate/k6-summary@1` per runner, each
 * covering 1/parallelism of the traffic through k6's execution segments) merged into one summary
 * of the whole run, which `floodgate observe` compares with the prediction like a single
 * machine's.
 *
 * Counts add up. Latency counts add, means are weighted by count and maxima are the largest; the
 * percentiles are the count-weighted mean of the runners' percentiles: the runners draw from the
 * same traffic, so their distributions agree and the weighted mean is close, but it is an
 * approximation (the exact percentile would need every runner's samples). Thresholds pass only
 * where they passed on every runner.
 */
import { FloodgateError } from '../errors.ts';
import { asK6Summary } from '../k6/observe.ts';
import type {
  K6Summary,
  ObservedClass,
  ObservedLatency,
  ObservedOutcomes,
  ObservedSessions,
  ObservedThreshold,
} from '../k6/summary-schema.ts';

const sum = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0);

export function mergeLatency(ls: readonly ObservedLatency[]): ObservedLatency {
  const measured = ls.filter((l) => l.count > 0);
  const count = sum(measured.map((l) => l.count));
  const weighted = (k: 'mean' | 'p50' | 'p90' | 'p95' | 'p99'): number | null => {
    const with_ = measured.filter((l) => l[k] !== null);
    const n = sum(with_.map((l) => l.count));
    return n > 0 ? sum(with_.map((l) => l[k]! * l.count)) / n : null;
  };
  const maxes = measured.map((l) => l.max).filter((m): m is number => m !== null);
  return {
    count,
    mean: weighted('mean'),
    p50: weighted('p50'),
    p90: weighted('p90'),
    p95: weighted('p95'),
    p99: weighted('p99'),
    max: maxes.length ? Math.max(...maxes) : null,
  };
}

function mergeOutcomes(os: readonly ObservedOutcomes[]): ObservedOutcomes {
  const out: ObservedOutcomes = {
    ok: sum(os.map((o) => o.ok)),
    rateLimited: sum(os.map((o) => o.rateLimited)),
    serverError: sum(os.map((o) => o.serverError)),
    timedOut: sum(os.map((o) => o.timedOut)),
    otherError: sum(os.map((o) => o.otherError)),
    abandoned: sum(os.map((o) => o.abandoned)),
  };
  if (os.some((o) => o.cancelled !== undefined)) out.cancelled = sum(os.map((o) => o.cancelled ?? 0));
  // Dialect outcomes (scripts compiled since dialects): kept when any runner reports them.
  if (os.some((o) => o.quotaExceeded !== undefined))
    out.quotaExceeded = sum(os.map((o) => o.quotaExceeded ?? 0));
  if (os.some((o) => o.overloaded !== undefined)) out.overloaded = sum(os.map((o) => o.overloaded ?? 0));
  return out;
}

function mergeSessions(ss: readonly ObservedSessions[]): ObservedSessions {
  const started = sum(ss.map((s) => s.started));
  const completed = sum(ss.map((s) => s.completed));
  const ended = ss.map((s) => s.completed + s.aborted);
  const withCalls = ss.flatMap((s, i) =>
    s.callsPerSession !== null ? [[s.callsPerSession, ended[i]!]] : [],
  );
  const endedTotal = sum(withCalls.map(([, n]) => n!));
  return {
    started,
    completed,
    aborted: sum(ss.map((s) => s.aborted)),
    unfinished: sum(ss.map((s) => s.unfinished)),
    successShare: started > 0 ? completed / started : null,
    duration: mergeLatency(ss.map((s) => s.duration)),
    callsPerSession: endedTotal > 0 ? sum(withCalls.map(([c, n]) => c! * n!)) / endedTotal : null,
  };
}

function mergeClass(cs: readonly ObservedClass[]): ObservedClass {
  const sessions = cs.flatMap((c) => (c.sessions ? [c.sessions] : []));
  return {
    requests: sum(cs.map((c) => c.requests)),
    outcomes: mergeOutcomes(cs.map((c) => c.outcomes)),
    attempts: sum(cs.map((c) => c.attempts)),
    droppedIterations: sum(cs.map((c) => c.droppedIterations)),
    ttft: mergeLatency(cs.map((c) => c.ttft)),
    tpot: mergeLatency(cs.map((c) => c.tpot)),
    e2e: mergeLatency(cs.map((c) => c.e2e)),
    itl: mergeLatency(cs.map((c) => c.itl)),
    inputTokens: sum(cs.map((c) => c.inputTokens)),
    outputTokens: sum(cs.map((c) => c.outputTokens)),
    ...(cs.some((c) => c.cachedInputTokens !== undefined)
      ? { cachedInputTokens: sum(cs.map((c) => c.cachedInputTokens ?? 0)) }
      : {}),
    goodput: sum(cs.map((c) => c.goodput)),
    ...(sessions.length ? { sessions: mergeSessions(sessions) } : {}),
  };
}

/** One summary of the whole TestRun from its runners' summaries (every runner's, exactly once). */
export function mergeK6Summaries(inputs: readonly { file: string; json: unknown }[]): K6Summary {
  const all = inputs.map(({ file, json }) => ({ file, s: asK6Summary(json, file) }));
  const { file: f0, s: s0 } = all[0]!;
  const same = (s: K6Summary) =>
    JSON.stringify([s.scenario, s.mode, s.ttftSource, s.timeScale, s.rateScale, s.parallelism]);
  for (const { file, s } of all)
    if (same(s) !== same(s0))
      throw new FloodgateError(
        'FG_SCENARIO_INVALID',
        `${file}: a summary of another run than ${f0} (scenario, mode, time or rate scale, or parallelism differ): merge the runners of one TestRun`,
      );
  if (all.length !== s0.parallelism)
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `merge: the TestRun had ${s0.parallelism} runner${s0.parallelism === 1 ? '' : 's'} (parallelism ${s0.parallelism}), got ${all.length} summar${all.length === 1 ? 'y' : 'ies'}: merge one summary per runner`,
    );
  const ss = all.map((a) => a.s);
  const classNames = [...new Set(ss.flatMap((s) => Object.keys(s.classes)))];
  const thresholds: ObservedThreshold[] = [];
  for (const s of ss)
    for (const t of s.thresholds) {
      const seen = thresholds.find((u) => u.metric === t.metric && u.threshold === t.threshold);
      if (seen) seen.pass = seen.pass && t.pass;
      else thresholds.push({ ...t });
    }
  const durations = ss.map((s) => s.testRunDurationMs).filter((d): d is number => d !== null);
  return {
    ...s0,
    // The merged summary covers all of the traffic.
    parallelism: 1,
    measuredMs: Math.max(...ss.map((s) => s.measuredMs)),
    testRunDurationMs: durations.length ? Math.max(...durations) : null,
    expectedIterations: sum(ss.map((s) => s.expectedIterations)),
    droppedIterations: sum(ss.map((s) => s.droppedIterations)),
    warmupRequests: sum(ss.map((s) => s.warmupRequests)),
    classes: Object.fromEntries(
      classNames.map((c) => [c, mergeClass(ss.flatMap((s) => (s.classes[c] ? [s.classes[c]] : [])))]),
    ),
    overall: mergeClass(ss.map((s) => s.overall)),
    thresholds,
    pass: ss.every((s) => s.pass) && thresholds.every((t) => t.pass),
  };
}
