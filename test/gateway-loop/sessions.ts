/**
 * The sessions loop: agent sessions through the real gateway. Each session is a closed loop of
 * calls, as the simulator runs it (src/workload/sessions.ts): call k+1 starts its think time after
 * call k ends, its prompt is the context so far (the first prompt, then per ok call its answer and
 * the tool's output, capped at `maxContext`, the oldest tokens dropped first), a failed call is
 * sent again after the think time up to `retries` times, then the session aborts.
 *
 * The template makes every per-session draw deterministic (calls, output, tool tokens, think time),
 * so the prediction replays the driver's own session starts (a trace) and simulates the very same
 * sessions; only the providers' draws differ between the two sides.
 */

import { scenarioYaml } from '../../src/import/scenario.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioText } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { writeTrace } from '../providers/harness.ts';
import { type CallOutcome, poissonPlan, quantile, streamCall } from './driver.ts';
import {
  importedScenario,
  type LoopSpec,
  type Measurement,
  measureWith,
  quantileTolerance,
  type Row,
  shareTolerance,
} from './loop.ts';

/** What a session does, as the template's session class says (all deterministic). */
export interface SessionShape {
  firstPrompt: number;
  calls: number;
  outputTokens: number;
  toolTokens: number;
  thinkMs: number;
  maxContext: number;
  retries: number;
}

export interface SessionLoopSpec extends LoopSpec {
  /** Session starts per second (Poisson) for `durationMs`; `ratePerS` is the calls' rate (warm-up). */
  sessionsPerS: number;
  session: SessionShape;
}

export interface SessionCall extends CallOutcome {
  session: number;
  step: number;
  /** The prompt's size in tokens as the simulator sizes it (what the driver sent, 4 characters a token). */
  plannedPrompt: number;
}

export interface SessionRecord {
  atMs: number;
  /** ms from the session's start to the end of its last call (NaN while unfinished). */
  durationMs: number;
  calls: number;
  state: 'completed' | 'aborted' | 'unfinished';
}

export interface SessionsMeasured {
  calls: SessionCall[];
  sessions: SessionRecord[];
}

/** The session start times: Poisson at `sessionsPerS` from a seeded stream (the prediction replays them). */
export function sessionStarts(spec: SessionLoopSpec): number[] {
  return poissonPlan({
    ratePerS: spec.sessionsPerS,
    durationMs: spec.durationMs,
    seed: `gateway-loop:${spec.name}`,
    className: spec.className,
    outputTokens: spec.session.outputTokens,
  }).map((p) => p.atMs);
}

/**
 * The messages of a prompt of `cap` tokens at most: the first prompt as a user message, then per
 * ok call its answer (assistant) and the tool's output (user); past the cap the oldest text goes
 * first. Every token is 4 characters, which the emulator counts back as one token.
 */
export function contextMessages(
  segments: readonly { role: 'user' | 'assistant'; tokens: number }[],
  cap: number,
): { role: string; content: string }[] {
  const out: { role: string; content: string }[] = [];
  let room = Math.max(1, cap);
  for (let i = segments.length - 1; i >= 0 && room > 0; i--) {
    const s = segments[i]!;
    const tokens = Math.min(s.tokens, room);
    room -= tokens;
    if (tokens > 0) out.unshift({ role: s.role, content: 'word'.repeat(tokens) });
  }
  return out;
}

/**
 * Runs every session as a closed loop against `url`; at most `maxCalls` calls in all, and whatever
 * is open at `deadlineMs` after the start is aborted (those sessions stay unfinished).
 */
export async function driveSessions(o: {
  url: string;
  headers: Record<string, string>;
  model: string;
  starts: readonly number[];
  shape: SessionShape;
  maxCalls: number;
  deadlineMs: number;
}): Promise<SessionsMeasured> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(o.url))
    throw new Error(`the driver only talks to loopback, got ${o.url}`);
  const stopAll = new AbortController();
  const start = performance.now();
  const deadline = setTimeout(() => stopAll.abort(), o.deadlineMs);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const calls: SessionCall[] = [];
  const sh = o.shape;
  const one = async (atMs: number, id: number): Promise<SessionRecord> => {
    const wait = atMs - (performance.now() - start);
    if (wait > 0) await sleep(wait);
    const began = performance.now();
    const segments: { role: 'user' | 'assistant'; tokens: number }[] = [
      { role: 'user', tokens: sh.firstPrompt },
    ];
    let context = sh.firstPrompt;
    let retriesLeft = sh.retries;
    let made = 0;
    for (let step = 0; step < sh.calls; ) {
      if (stopAll.signal.aborted || calls.length >= o.maxCalls)
        return { atMs, durationMs: Number.NaN, calls: made, state: 'unfinished' };
      const prompt = Math.max(1, Math.min(context, sh.maxContext));
      made++;
      const outcome = await streamCall({
        url: o.url,
        headers: o.headers,
        body: {
          model: o.model,
          messages: contextMessages(segments, prompt),
          max_tokens: sh.outputTokens,
          stream: true,
          stream_options: { include_usage: true },
        },
        signal: stopAll.signal,
      });
      calls.push({ ...outcome, session: id, step, plannedPrompt: prompt });
      if (stopAll.signal.aborted) return { atMs, durationMs: Number.NaN, calls: made, state: 'unfinished' };
      if (outcome.ok) {
        // As the simulator: the capped context, then this answer and the tool's output.
        context = prompt + sh.outputTokens + sh.toolTokens;
        segments.push(
          { role: 'assistant', tokens: sh.outputTokens },
          { role: 'user', tokens: sh.toolTokens },
        );
        step++;
        retriesLeft = sh.retries;
        if (step >= sh.calls) break;
      } else if (retriesLeft > 0) retriesLeft--;
      else return { atMs, durationMs: performance.now() - began, calls: made, state: 'aborted' };
      await sleep(sh.thinkMs);
    }
    return { atMs, durationMs: performance.now() - began, calls: made, state: 'completed' };
  };
  try {
    const sessions = await Promise.all(o.starts.map((t, i) => one(t, i)));
    return { calls, sessions };
  } finally {
    clearTimeout(deadline);
  }
}

export function measureSessions(spec: SessionLoopSpec): Promise<Measurement<SessionsMeasured>> {
  return measureWith(spec, (url, headers) =>
    driveSessions({
      url,
      headers,
      model: spec.model,
      starts: sessionStarts(spec),
      shape: spec.session,
      maxCalls: 2000,
      deadlineMs: spec.durationMs + 20_000,
    }),
  );
}

/**
 * The prediction: the imported scenario with the template's session class, replaying the driver's
 * session starts (a trace whose prompt is the first prompt), the gateway's own time as each
 * provider's round trip, over `seeds` seeds.
 */
export async function predictSessions(spec: SessionLoopSpec, gatewayMs: number): Promise<RunResult[]> {
  const { scenario } = await importedScenario(spec);
  const providers = (scenario['providers'] as Record<string, unknown>[]).map((p) => ({
    ...p,
    rtt: `${Math.round(gatewayMs)}ms`,
  }));
  const template = scenario['workload'] as { classes: unknown[] };
  const trace = await writeTrace(
    sessionStarts(spec).map((t) => ({
      t: Math.round(t),
      prompt: spec.session.firstPrompt,
      output: spec.session.outputTokens,
      cls: spec.className,
    })),
  );
  const workload = { arrivals: { trace: { file: trace, format: 'csv' } }, classes: template.classes };
  const loaded = await loadScenarioText(
    scenarioYaml({ ...scenario, providers, workload }, spec.config, []),
    `${spec.name}-predicted.yaml`,
  );
  const results: RunResult[] = [];
  for (let seed = 1; seed <= spec.seeds; seed++) results.push(await simulate(loaded, { seed }));
  return results;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Per call: TTFT and E2E p50/p99, the error share and retries per call (a session's resend of a
 * failed call is a call of its own on both sides). Per session: duration p50 (completed sessions),
 * calls per session (a mean: tolerance the larger of 2% and 3 standard errors) and the share of
 * sessions completed.
 */
export function compareSessions(
  spec: SessionLoopSpec,
  predicted: readonly RunResult[],
  m: { measured: SessionsMeasured; attempts: number },
): Row[] {
  const cls = (r: RunResult) => r.classes[spec.className]!;
  const calls = m.measured.calls;
  const ok = calls.filter((c) => c.ok);
  const n = calls.length;
  const rows: Row[] = [];
  for (const [metric, key, values] of [
    ['ttft', 'ttft', ok.map((c) => c.ttftMs)],
    ['e2e', 'e2e', ok.map((c) => c.e2eMs)],
  ] as const)
    for (const [stat, q] of [
      ['p50', 0.5],
      ['p99', 0.99],
    ] as const)
      rows.push({
        metric: `${spec.className} call ${metric} ${stat}`,
        predicted: mean(predicted.map((r) => cls(r).latency[key][stat] ?? Number.NaN)),
        measured: quantile(values, q),
        tolerance: quantileTolerance(values, q),
        relative: true,
        n: values.length,
      });
  const errorMeasured = 1 - ok.length / n;
  rows.push({
    metric: 'call error share',
    predicted: mean(predicted.map((r) => 1 - cls(r).requests.completed / cls(r).requests.offered)),
    measured: errorMeasured,
    tolerance: shareTolerance(errorMeasured, n),
    relative: false,
    n,
  });
  const retryMeasured = (m.attempts - n) / n;
  rows.push({
    metric: 'retries per call',
    predicted: mean(
      predicted.map((r) => (cls(r).requests.attempts - cls(r).requests.offered) / cls(r).requests.offered),
    ),
    measured: retryMeasured,
    tolerance: shareTolerance(Math.min(1, retryMeasured), n),
    relative: false,
    n,
  });
  const sessions = m.measured.sessions;
  const completed = sessions.filter((s) => s.state === 'completed');
  const durations = completed.map((s) => s.durationMs);
  rows.push({
    metric: 'session duration p50',
    predicted: mean(predicted.map((r) => cls(r).sessions!.duration.p50 ?? Number.NaN)),
    measured: quantile(durations, 0.5),
    tolerance: quantileTolerance(durations, 0.5),
    relative: true,
    n: durations.length,
  });
  const ended = sessions.filter((s) => s.state !== 'unfinished');
  const perSession = ended.map((s) => s.calls);
  const callsMean = mean(perSession);
  const sd = Math.sqrt(mean(perSession.map((c) => (c - callsMean) ** 2)));
  rows.push({
    metric: 'calls per session',
    predicted: mean(predicted.map((r) => cls(r).sessions!.callsPerSession)),
    measured: callsMean,
    tolerance: Math.max(0.02, (3 * sd) / Math.sqrt(perSession.length) / callsMean),
    relative: true,
    n: perSession.length,
    unit: 'calls',
  });
  const doneShare = completed.length / sessions.length;
  rows.push({
    metric: 'sessions completed',
    predicted: mean(predicted.map((r) => cls(r).sessions!.successShare)),
    measured: doneShare,
    tolerance: shareTolerance(doneShare, sessions.length),
    relative: false,
    n: sessions.length,
  });
  return rows;
}

/** Rows judged on every sound run: counts, not timings (shares and calls per session). */
export function isCount(row: Row): boolean {
  return !row.relative || row.unit === 'calls';
}
