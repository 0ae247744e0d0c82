/**
 * A bundled scenario (scenarios/*.yaml) through a real gateway, compressed:
 *
 *   config:    the scenario (with the `--set` lines that make its gateway one Portkey can express)
 *              written as Portkey configs (portkey-export.ts), and the full one imported back with
 *              `floodgate import portkey`: the loop's scenario is the bundled one with that
 *              imported gateway, so the prediction is of the imported config, literally;
 *   measured:  driver -> Portkey (one config per class, each target's custom_host the emulator's
 *              path for its provider) -> `floodgate emulate` serving the loop's scenario, its fault
 *              timeline at `--time-scale F`;
 *   predicted: what `floodgate run --time-scale F --rate-scale R --topology gateway` predicts of
 *              the same scenario (src/k6/predict.ts), with the gateway's own time as each
 *              provider's round trip: the same requests the runs sent (their traffic seeds), each
 *              met with several draws of the providers' and the gateway's luck, pooled.
 *
 * The driver's workload is the prediction's own: the compressed scenario's uniform arrivals (as k6
 * starts iterations) per class, and each request's sizes and each session's plan (calls, outputs,
 * tool outputs, think times) drawn from the streams the simulator draws them from with seed 1, so
 * the driver sends exactly the requests seed 1 simulates (run k of a pooled strict check, seed k's).
 * Warmup is 0 (the gateway has its own warm-up) and the drain is the spec's, on both sides: a call
 * still open at the end is unfinished on both.
 */
import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { startEmulator } from '../../src/emulator/server.ts';
import { createDistribution } from '../../src/engine/dist/index.ts';
import { formatTrafficKey } from '../../src/engine/luck.ts';
import { RngStreams } from '../../src/engine/rng.ts';
import type {
  AttemptOutcomeView,
  PolicyDefinition,
  RequestView,
  RoutingPolicy,
} from '../../src/gateway/policy.ts';
import { parseConfigText } from '../../src/import/config-text.ts';
import { importPortkey } from '../../src/import/portkey.ts';
import { predictionScenario } from '../../src/k6/predict.ts';
import type { RequestSample } from '../../src/metrics/request-samples.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { type LoadedScenario, loadScenarioText } from '../../src/scenario/load.ts';
import { applyOverride, parseOverride } from '../../src/scenario/overrides.ts';
import type { Scenario } from '../../src/scenario/schema.ts';
import type { ResolvedPolicy } from '../../src/simulator/policy-loader.ts';
import { resolvePolicies, runScenario } from '../../src/simulator/simulate.ts';
import { createArrivalSource } from '../../src/workload/arrivals.ts';
import { drive, quantile, streamCall } from './driver.ts';
import {
  PORTKEY_FIRST_CHUNK_MS,
  quantileTolerance,
  type Row,
  shareTolerance,
  WARM_UP_TTFT_MS,
  WARM_UP_YAML,
  warmUp,
} from './loop.ts';
import { eligibleProviders, portkeyConfigFor, renamedSection } from './portkey-export.ts';
import { startPortkey } from './portkey-process.ts';
import { contextMessages } from './sessions.ts';

export interface BundledSpec {
  name: string;
  /** The bundled scenario file (scenarios/NAME.yaml). */
  file: string;
  /** `--set PATH=VALUE` lines: the variant Portkey can express (documented in the file's header). */
  sets: string[];
  /** Real seconds per scenario second of the timeline (`--time-scale`), and `--rate-scale`. */
  timeScale: number;
  rateScale: number;
  /** The drain after the compressed duration (both sides), e.g. '20s'. */
  drain: string;
  /** Luck seeds the prediction meets each run's traffic with (run k sends traffic seed k's requests). */
  seeds: number;
  /**
   * What FLOODGATE_LOOP_STRICT=1 runs (more requests per class: a longer run, or `repeats` runs
   * of other seeds' requests pooled), where every row is held to 10% or 2 points (`strictRows`).
   */
  strict?: { timeScale: number; rateScale: number; repeats: number };
  /** Runs pooled into one measurement, run r driving seed r's requests (default 1). */
  repeats?: number;
}

/**
 * Runs pooled into one measurement: calls, attempts, answers and probes added up; the machine's
 * state the worst of them (the soundness gate sees the worst run).
 */
export function pooled(runs: readonly BundledMeasurement[]): BundledMeasurement {
  const providerRequests: Record<string, Record<string, number>> = {};
  for (const r of runs)
    for (const [name, counts] of Object.entries(r.providerRequests)) {
      const into = (providerRequests[name] ??= {});
      for (const [k, n] of Object.entries(counts)) into[k] = (into[k] ?? 0) + n;
    }
  const samples = runs.flatMap((r) => r.gatewayInRunSamples);
  return {
    calls: runs.flatMap((r) => r.calls),
    attempts: runs.reduce((n, r) => n + r.attempts, 0),
    keyedAttempts: runs.reduce((n, r) => n + r.keyedAttempts, 0),
    gatewayMs: Math.max(...runs.map((r) => r.gatewayMs)),
    gatewayAfterMs: Math.max(...runs.map((r) => r.gatewayAfterMs)),
    gatewayInRunMs: Math.max(...runs.map((r) => r.gatewayInRunMs)),
    gatewayInRunSamples: samples,
    emulatorLateShare: Math.max(...runs.map((r) => r.emulatorLateShare)),
    emulatorLagMs: Math.max(...runs.map((r) => r.emulatorLagMs)),
    providerRequests,
    portkeyLog: runs.map((r) => r.portkeyLog).join('\n'),
  };
}

/** The spec as run: its strict scales when `strict`. */
export function asRun(spec: BundledSpec, strict: boolean): BundledSpec {
  return strict && spec.strict ? { ...spec, ...spec.strict } : spec;
}

/** The rows held to the done-means' line: 10% for a latency, 2 points for a share, whatever n. */
export function strictRows(rows: readonly Row[]): Row[] {
  return rows.map((r) => (r.sampleOnly ? r : { ...r, tolerance: r.relative ? 0.1 : 0.02 }));
}

/** The bundled scenario with its `--set` lines, warmup 0 and the spec's drain (input form). */
async function bundledInput(spec: BundledSpec): Promise<Record<string, unknown>> {
  let raw: unknown = parseConfigText(await readFile(spec.file, 'utf8'), spec.file).value;
  for (const s of spec.sets) raw = applyOverride(raw, parseOverride(s));
  return { ...(raw as Record<string, unknown>), warmup: '0s', drain: spec.drain };
}

export interface LoopScenario {
  /** The bundled scenario with the imported gateway (what the emulator serves and the prediction runs). */
  loaded: LoadedScenario;
  /** The Portkey config each class's requests carry, given the emulator's URL. */
  configFor(emulatorUrl: string, className: string): Record<string, unknown>;
  /** The full config (every class's providers), as imported. */
  fullConfig: Record<string, unknown>;
  notes: string[];
}

/**
 * The loop's scenario: the bundled one's gateway written as a Portkey config over every provider a
 * class uses, imported back, its leaves named after the providers behind them; providers no class
 * can reach through the config are dropped.
 */
export async function loopScenario(spec: BundledSpec): Promise<LoopScenario> {
  const input = await bundledInput(spec);
  const base = (await loadScenarioText(stringify(input), spec.file)).scenario;
  const eligible = new Map(base.workload.classes.map((c) => [c.name, eligibleProviders(base, c.name)]));
  const weights = base.gateway.routing.params['weights'] as Record<string, number> | undefined;
  // A provider is used when a class may route to it or fall back to it.
  const reached = new Set<string>();
  for (const list of eligible.values())
    for (const p of list)
      if ((weights?.[p] ?? 0) > 0) {
        reached.add(p);
        for (const f of base.gateway.fallbacks[p] ?? []) if (list.includes(f)) reached.add(f);
      }
  const used = base.providers.map((p) => p.name).filter((p) => reached.has(p));
  const host = (url: string) => (p: string) => `${url}/p/${p}/v1`;
  const full = portkeyConfigFor(base, used, host('http://127.0.0.1:1'));
  const imported = importPortkey(parseConfigText(JSON.stringify(full.config), `${spec.name}.portkey.json`));
  const names = new Map(imported.providers.map((p, i) => [p.name, full.leaves[i]!]));
  const section = renamedSection(imported.gatewaySection, names);
  const providers = (input['providers'] as Record<string, unknown>[]).filter((p) =>
    used.includes(p['name'] as string),
  );
  const gateway = {
    ...(input['gateway'] as Record<string, unknown>),
    ...section,
  };
  const loaded = await loadScenarioText(
    stringify({ ...input, providers, gateway }, { lineWidth: 0 }),
    `${spec.name}-loop.yaml`,
  );
  return {
    loaded,
    fullConfig: full.config,
    notes: imported.notes.map((n) => `${n.kind}: ${n.path}: ${n.message}`),
    configFor: (url, className) =>
      portkeyConfigFor(
        base,
        (eligible.get(className) ?? []).filter((p) => used.includes(p)),
        host(url),
      ).config,
  };
}

/** The compressed run: what `floodgate run --time-scale F --rate-scale R --topology gateway` simulates. */
export function compressed(spec: BundledSpec, loaded: LoadedScenario): LoadedScenario {
  return predictionScenario(loaded, {
    timeScale: spec.timeScale,
    rateScale: spec.rateScale,
    topology: 'gateway',
  }).loaded;
}

export interface PlannedCall {
  prompt: number;
  output: number;
}
export interface PlannedArrival {
  className: string;
  /** The class's index in the scenario and the arrival's ordinal in its class: its traffic key (engine/luck.ts). */
  classIndex: number;
  ordinal: number;
  atMs: number;
  /** A plain request: one call. A session: its calls' outputs, tool outputs and think times. */
  prompt: number;
  output: number;
  session?: { outputs: number[]; tools: number[]; thinks: number[]; maxContext: number; retries: number };
  timeoutMs: number | undefined;
}

/**
 * Seed `seed`'s arrivals of the compressed scenario, drawn as src/workload/workload.ts and
 * sessions.ts draw them (the same streams, the same order per stream), so the driver sends the
 * requests the simulator runs with that seed.
 */
export function plan(scenario: Scenario, seed = 1): PlannedArrival[] {
  const streams = new RngStreams(seed);
  const out: PlannedArrival[] = [];
  for (const [classIndex, c] of scenario.workload.classes.entries()) {
    if (!c.arrivals || c.arrivals.trace)
      throw new Error(`class ${c.name}: the bundled loop needs a class's own synthetic arrivals`);
    if (c.cancelAfter || c.debounce || c.prefix)
      throw new Error(`class ${c.name}: cancelAfter, debounce and prefix are not driven`);
    const source = createArrivalSource(
      c.arrivals,
      streams.get(`workload/arrivals/${c.name}`),
      scenario.duration,
    );
    const tokens = streams.get(`workload/tokens/${c.name}`);
    const sessions = streams.get(`workload/sessions/${c.name}`);
    const promptDist = createDistribution(c.promptTokens);
    const outputDist = createDistribution(c.outputTokens);
    const timeoutMs = (c.client ?? scenario.workload.client).timeout;
    let ordinal = 0;
    for (let t = source.next(); t < scenario.duration; t = source.next()) {
      const prompt = Math.max(1, Math.round(promptDist.sample(tokens)));
      const output = Math.max(1, Math.round(outputDist.sample(tokens)));
      const a: PlannedArrival = {
        className: c.name,
        classIndex,
        ordinal: ordinal++,
        atMs: t,
        prompt,
        output,
        timeoutMs,
      };
      if (c.session) {
        const calls = createDistribution(c.session.calls);
        const tools = createDistribution(c.session.toolTokens);
        const thinks = createDistribution(c.session.thinkTime);
        const n = Math.max(1, Math.round(calls.sample(sessions)));
        const s = { outputs: [] as number[], tools: [] as number[], thinks: [] as number[] };
        for (let i = 0; i < n; i++) {
          s.outputs.push(Math.max(1, Math.round(outputDist.sample(sessions))));
          s.tools.push(Math.max(0, Math.round(tools.sample(sessions))));
          s.thinks.push(Math.max(0, thinks.sample(sessions)));
        }
        a.session = { ...s, maxContext: c.session.maxContext, retries: c.session.retries };
      }
      out.push(a);
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

export interface BundledCall {
  className: string;
  atMs: number;
  ok: boolean;
  /** Still open when the run ended (the drain ran out): neither ok nor failed, on both sides. */
  unfinished: boolean;
  ttftMs: number;
  e2eMs: number;
  promptTokens: number;
  plannedPrompt: number;
  /** The usage chunk's `cached_tokens` (NaN without one): what the provider's prompt cache served. */
  cachedTokens: number;
  /**
   * The provider Portkey's load balancing picked for the call (the first provider of the branch it
   * chose, whatever happened within it): undefined when the class's config has no choice to make
   * or Portkey did not say.
   */
  picked: string | undefined;
  /** The agent session the call belongs to (its plan index) and its place among the session's sends. */
  session: { key: number; send: number } | undefined;
}

/**
 * Sends the plan to `url`, each class's requests with its config header: plain requests open loop
 * at their times, sessions as closed loops (sessions.ts's rules with the session's drawn plan).
 * A call gives up at its class's client timeout (a failure); whatever is open `deadlineMs` after
 * the start is cut (unfinished), and nothing is sent after it.
 */
export async function driveBundled(o: {
  url: string;
  headersOf: (className: string) => Record<string, string>;
  /** Per class, the provider each load-balancing branch of its config starts with (none: no choice). */
  branchesOf: (className: string) => readonly string[];
  model: (className: string) => string;
  plan: readonly PlannedArrival[];
  deadlineMs: number;
}): Promise<BundledCall[]> {
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(o.url))
    throw new Error(`the driver only talks to loopback, got ${o.url}`);
  const stopAll = new AbortController();
  // Every open call and pause listens to the deadline.
  setMaxListeners(0, stopAll.signal);
  const start = performance.now();
  const deadline = setTimeout(() => stopAll.abort(), o.deadlineMs);
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const done = () => {
        clearTimeout(t);
        stopAll.signal.removeEventListener('abort', done);
        r();
      };
      const t = setTimeout(done, ms);
      stopAll.signal.addEventListener('abort', done);
    });
  const calls: BundledCall[] = [];
  const call = async (
    a: PlannedArrival,
    segments: { role: 'user' | 'assistant'; tokens: number }[],
    prompt: number,
    output: number,
    session?: { key: number; send: number },
    cacheKey?: string,
  ) => {
    const signal =
      a.timeoutMs !== undefined
        ? AbortSignal.any([stopAll.signal, AbortSignal.timeout(a.timeoutMs)])
        : stopAll.signal;
    const sentAt = performance.now() - start;
    // The request's traffic key, forwarded by Portkey to the emulator on every attempt: its
    // providers draw the call's luck by it (--luck request), as the paired prediction does.
    const key = formatTrafficKey(a.classIndex, a.ordinal, session?.send ?? 0);
    const outcome = await streamCall({
      url: o.url,
      headers: { ...o.headersOf(a.className), ...trafficKeyHeaders(key) },
      body: {
        model: o.model(a.className),
        messages: contextMessages(segments, prompt),
        max_tokens: output,
        stream: true,
        stream_options: { include_usage: true },
        ...(cacheKey !== undefined ? { prompt_cache_key: cacheKey } : {}),
      },
      signal,
    });
    const c: BundledCall = {
      className: a.className,
      atMs: sentAt,
      ok: outcome.ok,
      unfinished: !outcome.ok && stopAll.signal.aborted,
      ttftMs: outcome.ttftMs,
      e2eMs: outcome.e2eMs,
      promptTokens: outcome.promptTokens,
      plannedPrompt: prompt,
      cachedTokens: outcome.cachedTokens,
      picked: o.branchesOf(a.className)[outcome.branch],
      session,
    };
    calls.push(c);
    return c;
  };
  const one = async (a: PlannedArrival, index: number): Promise<void> => {
    const wait = a.atMs - (performance.now() - start);
    if (wait > 0) await sleep(wait);
    if (stopAll.signal.aborted) return;
    const s = a.session;
    if (!s) {
      await call(a, [{ role: 'user', tokens: a.prompt }], a.prompt, a.output);
      return;
    }
    // As src/workload/sessions.ts: the capped context, then per ok call its answer and the tool's output.
    const segments: { role: 'user' | 'assistant'; tokens: number }[] = [{ role: 'user', tokens: a.prompt }];
    let context = a.prompt;
    let retriesLeft = s.retries;
    // The session's cache key (the emulator's prompt cache keys a conversation by it), sent once a
    // call has ended ok: the simulator's calls carry a cached prefix from then on (sessions.ts).
    const key = `${a.className}-session-${index}`;
    let send = 0;
    for (let k = 0; k < s.outputs.length; ) {
      const prompt = Math.max(1, Math.min(context, s.maxContext));
      const c = await call(
        a,
        segments,
        prompt,
        s.outputs[k]!,
        { key: index, send: send++ },
        k > 0 ? key : undefined,
      );
      if (c.unfinished || stopAll.signal.aborted) return;
      if (c.ok) {
        context = prompt + s.outputs[k]! + s.tools[k]!;
        segments.push({ role: 'assistant', tokens: s.outputs[k]! }, { role: 'user', tokens: s.tools[k]! });
        retriesLeft = s.retries;
        k++;
        if (k >= s.outputs.length) return;
        await sleep(s.thinks[k - 1]!);
      } else if (retriesLeft > 0) {
        retriesLeft--;
        await sleep(s.thinks[k]!);
      } else return;
      if (stopAll.signal.aborted) return;
    }
  };
  try {
    await Promise.all(o.plan.map((a, i) => one(a, i)));
    return calls;
  } finally {
    clearTimeout(deadline);
  }
}

/** The traffic-key header, and Portkey's request to forward it to the provider on every attempt. */
export function trafficKeyHeaders(key: string): Record<string, string> {
  return { 'x-floodgate-traffic-key': key, 'x-portkey-forward-headers': 'x-floodgate-traffic-key' };
}

export interface BundledMeasurement {
  calls: BundledCall[];
  /** Provider attempts the emulator saw: answered, and still open at the end (calls cut there). */
  attempts: number;
  /** Of `attempts`, those that reached the emulator with their traffic key (Portkey forwarded it). */
  keyedAttempts: number;
  gatewayMs: number;
  gatewayAfterMs: number;
  /** The gateway's own time during the run, under the run's load (`probeGateway`): the median, and every probe's. */
  gatewayInRunMs: number;
  gatewayInRunSamples: number[];
  emulatorLateShare: number;
  emulatorLagMs: number;
  /** The emulator's answers per provider, by outcome (ok, rate_limited, server_error, ...). */
  providerRequests: Record<string, Record<string, number>>;
  portkeyLog: string;
}

/** One run of the loop, driving the requests seed `seed` simulates (a fresh gateway and emulator). */
export async function measureBundled(
  spec: BundledSpec,
  loop: LoopScenario,
  seed = 1,
  // The emulator's providers draw from the seed the paired prediction of this run uses.
  luck = luckSeed(seed, 1),
): Promise<BundledMeasurement> {
  const run = compressed(spec, loop.loaded).scenario;
  const arrivals = plan(run, seed);
  // The gateway's own time is measured at the run's load: its calls per second and their median
  // output (how many streams Portkey relays at once is what its time depends on).
  const calls = arrivals.reduce((n, a) => n + (a.session?.outputs.length ?? 1), 0);
  const outputs = arrivals.flatMap((a) => a.session?.outputs ?? [a.output]);
  const gateway = await startPortkey();
  let emulator: Awaited<ReturnType<typeof startEmulator>> | undefined;
  try {
    const warm = {
      ratePerS: Math.min(40, Math.max(5, (1000 * calls) / run.duration)),
      outputTokens: Math.max(1, Math.round(quantile(outputs, 0.5))),
    };
    const gatewayMs = await warmUp(gateway.url, warm);
    emulator = await startEmulator(loop.loaded, {
      timeScale: 1,
      timelineScale: spec.timeScale,
      seed: luck,
      luck: 'request',
    });
    const url = emulator.url;
    const headers = new Map(
      run.workload.classes.map((c) => [
        c.name,
        { 'x-portkey-config': JSON.stringify(loop.configFor(url, c.name)) },
      ]),
    );
    const branches = new Map(
      run.workload.classes.map((c) => [c.name, branchProviders(loop.configFor(url, c.name))]),
    );
    const [measured, inRunMs] = await Promise.all([
      driveBundled({
        url: `${gateway.url}/v1/chat/completions`,
        headersOf: (c) => headers.get(c)!,
        branchesOf: (c) => branches.get(c)!,
        model: (c) => modelOfClass(run, c),
        plan: arrivals,
        deadlineMs: run.duration + run.drain,
      }),
      probeGateway(gateway.url, probeTimes(arrivals, run.duration)),
    ]);
    // The calls cut at the end of the drain: their attempts count (as the simulator counts an
    // unfinished request's) once the emulator has seen the client leave, or while still open:
    // Portkey does not close its call to the provider when its client leaves (strict run of
    // outage-failover: 35 calls cut, none answered `cancelled`, 34 attempts still open, 3.8 points
    // of retries per call that only the prediction counted).
    await new Promise((r) => setTimeout(r, 1000));
    const stats = emulator.stats();
    let attempts = stats.openRequests;
    const providerRequests: Record<string, Record<string, number>> = {};
    for (const [name, p] of Object.entries(stats.providers)) {
      providerRequests[name] = p.requests;
      for (const n of Object.values(p.requests)) attempts += n;
    }
    const gatewayAfterMs = await warmUp(gateway.url, warm, false);
    return {
      calls: measured,
      attempts,
      keyedAttempts: stats.keyedRequests,
      gatewayMs,
      gatewayAfterMs,
      gatewayInRunMs: inRunMs.length > 0 ? quantile(inRunMs, 0.5) : Number.POSITIVE_INFINITY,
      gatewayInRunSamples: inRunMs,
      emulatorLagMs: stats.maxLagMs,
      emulatorLateShare: stats.events > 0 ? stats.lateEvents / stats.events : 0,
      providerRequests,
      portkeyLog: gateway.output(),
    };
  } finally {
    await emulator?.close();
    await gateway.stop();
  }
}

/**
 * When the probe asks (`probeGateway`): about 2 a second, at the run's own arrival density (every
 * k-th arrival, halfway to the next one), so that it meets the gateway as often in a spike as the
 * run's requests do. A probe at a steady 2/s measured the quiet stretches as much as the spike, and
 * tab-spike's tab TTFT p50 came out 9-11.5% above its prediction in loaded runs.
 */
export function probeTimes(arrivals: readonly PlannedArrival[], durationMs: number): number[] {
  const k = Math.max(1, Math.round(arrivals.length / Math.max(1, (2 * durationMs) / 1000)));
  const out: number[] = [];
  for (let i = 0; i + 1 < arrivals.length; i += k) out.push((arrivals[i]!.atMs + arrivals[i + 1]!.atMs) / 2);
  return out;
}

/**
 * The gateway's own time while the run goes on: requests through the same Portkey at `times` to a
 * provider with a fixed 100 ms TTFT on an emulator of its own; each one's TTFT less 100 ms.
 * Portkey relays the run's streams on the same event loop, so this is what it adds to a request
 * at the run's load, which the warm-up before the run (a quiet gateway) does not see.
 */
async function probeGateway(gatewayUrl: string, times: readonly number[]): Promise<number[]> {
  const emulator = await startEmulator(await loadScenarioText(WARM_UP_YAML, 'probe.yaml'), { timeScale: 1 });
  try {
    const config = { provider: 'openai', api_key: 'unused', custom_host: `${emulator.url}/p/warm/v1` };
    const measured = await drive({
      url: `${gatewayUrl}/v1/chat/completions`,
      headers: { 'x-portkey-config': JSON.stringify(config) },
      model: 'warm',
      plan: times.map((atMs) => ({ atMs, className: 'c', outputTokens: 16 })),
      maxRequests: 2000,
      deadlineMs: (times.at(-1) ?? 0) + 15_000,
    });
    return measured.filter((m) => m.ok).map((m) => Math.max(0, m.ttftMs - WARM_UP_TTFT_MS));
  } finally {
    await emulator.close();
  }
}

/**
 * The provider each branch of a load-balancing config starts with (its target's `custom_host`
 * path, `/p/<provider>/v1`, or its first nested target's); none for a config with no load
 * balancing (a single target or a fallback chain: nothing is drawn).
 */
export function branchProviders(config: Record<string, unknown>): string[] {
  const strategy = config['strategy'] as { mode?: string } | undefined;
  if (strategy?.mode !== 'loadbalance') return [];
  const first = (t: Record<string, unknown>): string => {
    const host = t['custom_host'];
    if (typeof host === 'string') return /\/p\/([^/]+)\/v1$/.exec(host)?.[1] ?? host;
    return first((t['targets'] as Record<string, unknown>[])[0]!);
  };
  return (config['targets'] as Record<string, unknown>[]).map(first);
}

function modelOfClass(s: Scenario, className: string): string {
  const c = s.workload.classes.find((x) => x.name === className)!;
  return c.models?.[0] ?? s.providers[0]?.models?.[0] ?? 'model';
}

/**
 * The prediction of the measured runs: for each traffic seed k the runs drove (run k sends the
 * requests seed k simulates), the simulator on that very traffic met with `spec.seeds` draws of
 * everything else (providers, routing, retries: SimulateOptions.trafficSeed), all pooled.
 */
export interface BundledPrediction {
  /** Every simulated run, traffic seed by traffic seed, `spec.seeds` of each. */
  results: RunResult[];
  /** The traffic seed of each result. */
  trafficSeeds: number[];
  /** Ended requests of every simulated run, pooled (each of the runs' requests `spec.seeds` times). */
  samples: RequestSample[];
  /** Each simulated run's ended requests, in `results` order. */
  runSamples: RequestSample[][];
  /**
   * Classes only pools serve: their ok requests' TTFT and E2E with the gateway's time added per
   * request (see `predictBundled`), pooled; other classes are absent.
   */
  shiftedValues: Record<string, Record<'ttft' | 'e2e', { values: number[]; added: number[] }>>;
}

/**
 * The prediction of the compressed run, each provider's round trip the gateway's own time (the
 * median of the in-run probes, `gatewayMs`), for traffic seeds 1..`runs`, each met with
 * `spec.seeds` luck seeds: what the runs' requests meet on average.
 */
export async function predictBundled(
  spec: BundledSpec,
  loop: LoopScenario,
  gatewayMs: readonly number[],
  runs = 1,
): Promise<BundledPrediction> {
  const jobs: PredictionJob[] = [];
  for (let traffic = 1; traffic <= runs; traffic++)
    for (let luck = 1; luck <= spec.seeds; luck++) jobs.push({ traffic, seed: luckSeed(traffic, luck) });
  return predictJobs(spec, loop, gatewayMs, jobs);
}

/**
 * The paired prediction: for run k, one simulation of its traffic (seed k) with the luck the
 * emulator drew in that run (`luckSeed(k, 1)`, its providers' seed), and Portkey's own
 * load-balancing picks replayed (`replayedPicks`): each request goes first where Portkey sent the
 * call it stands for, and everything after that first pick (retries, fallbacks, the providers'
 * queues and draws) is the model's. Both sides draw per-request luck (`--luck request`: the
 * driver sends each call's traffic key, Portkey forwards it on every attempt), so each attempt
 * meets the same draws (common random numbers) in whatever order the provider sees attempts (a
 * retry landing a millisecond before or after a fresh call no longer swaps their draws): the rows
 * compare the same requests met with the same luck; what is left is what the model gets wrong (the gateway's time,
 * its retry and fallback order, the providers' timing, the emulator's clock).
 */
export async function predictPaired(
  spec: BundledSpec,
  loop: LoopScenario,
  gatewayMs: readonly number[],
  runs: readonly BundledMeasurement[],
): Promise<BundledPrediction> {
  return predictJobs(
    spec,
    loop,
    gatewayMs,
    runs.map((r, i) => ({ traffic: i + 1, seed: luckSeed(i + 1, 1), picks: r.calls })),
  );
}

interface PredictionJob {
  traffic: number;
  seed: number;
  /** Measured calls whose load-balancing picks are replayed (none: the config's own routing). */
  picks?: readonly BundledCall[];
}

async function predictJobs(
  spec: BundledSpec,
  loop: LoopScenario,
  gatewayMs: readonly number[],
  jobs: readonly PredictionJob[],
): Promise<BundledPrediction> {
  const run = compressed(spec, loop.loaded);
  const rtt = Math.round(quantile(gatewayMs, 0.5));
  const loaded: LoadedScenario = {
    ...run,
    scenario: {
      ...run.scenario,
      providers: run.scenario.providers.map((p) => (p.kind === 'api' ? { ...p, rtt } : p)),
    },
  };
  const scenario = loaded.scenario;
  const policies = await resolvePolicies(loaded);
  // A GPU pool has no round trip in the simulator (`rtt` is an API provider's): a class only pools
  // serve gets the gateway's time added to each request, exact while its requests make one attempt
  // each (the test checks it). Not the median added to its quantiles: the gateway's time is
  // spread (a request that meets Portkey busy with another's large body waits), and a TTFT of
  // 60 ms plus a gateway time of 35-80 ms has its median above the sum of the two medians. So each
  // simulated request's TTFT is added to every probe's gateway time (the sum's distribution), and
  // its E2E to the gateway's time less Portkey's first-chunk delay (it holds the first chunk back;
  // the rest of the stream, queued behind it, is not delayed).
  const pooledClasses = scenario.workload.classes
    .filter((c) => {
      const served = eligibleProviders(scenario, c.name).map(
        (n) => scenario.providers.find((p) => p.name === n)!,
      );
      return served.length > 0 && served.every((p) => p.kind === 'gpu');
    })
    .map((c) => c.name);
  const results: RunResult[] = [];
  const trafficSeeds: number[] = [];
  const samples: RequestSample[] = [];
  const runSamples: RequestSample[][] = [];
  for (const job of jobs) {
    let mine: RequestSample[] = [];
    const routing = job.picks ? replayedPicks(job.picks, policies.routing) : policies.routing;
    results.push(
      runScenario(
        loaded,
        { ...policies, routing },
        {
          seed: job.seed,
          trafficSeed: job.traffic,
          // Each attempt meets its request's own luck, as the emulator draws it (--luck request).
          luck: 'request',
          samples: { limit: 1_000_000, collect: (s) => (mine = s) },
        },
      ),
    );
    trafficSeeds.push(job.traffic);
    runSamples.push(mine);
    for (const x of mine) samples.push(x);
  }
  const e2eAdded = gatewayMs.map((g) => Math.max(0, g - PORTKEY_FIRST_CHUNK_MS));
  const shiftedValues: BundledPrediction['shiftedValues'] = {};
  for (const name of pooledClasses) {
    const ok = samples.filter((s) => s.class === name && s.outcome === 'ok');
    shiftedValues[name] = {
      ttft: { values: ok.map((s) => s.ttftMs!), added: [...gatewayMs] },
      e2e: { values: ok.map((s) => s.e2eMs!), added: e2eAdded },
    };
  }
  return { results, trafficSeeds, samples, runSamples, shiftedValues };
}

/** How far apart a request's arrival and its call's sending may be to stand for each other (ms). */
const PICK_MATCH_MS = 250;

/**
 * A routing policy that sends each request's first attempt where Portkey's load balancing sent
 * the measured call it stands for. A plain request, and a session's first call, stand for the call
 * of their class, not yet matched, sent nearest their arrival (within PICK_MATCH_MS); a session's
 * later calls for that session's later sends, in order (their times drift by the gateway's time
 * per call). A request with no such call, and every later routing decision, is the config's own
 * policy's.
 */
export function replayedPicks(calls: readonly BundledCall[], own: ResolvedPolicy): ResolvedPolicy {
  const definition: PolicyDefinition<'routing'> = {
    name: 'replayed-picks',
    kind: 'routing',
    create: (_params, ctx) => {
      const inner = own.definition.create(own.params as never, ctx) as RoutingPolicy;
      // Calls matched by time (plain ones, sessions' first sends), by class; sessions' later sends.
      const open = new Map<string, BundledCall[]>();
      const laterSends = new Map<number, BundledCall[]>();
      for (const c of [...calls].sort((a, b) => (a.session?.send ?? 0) - (b.session?.send ?? 0))) {
        if (c.session !== undefined && c.session.send > 0) {
          const list = laterSends.get(c.session.key) ?? [];
          list.push(c);
          laterSends.set(c.session.key, list);
          continue;
        }
        const list = open.get(c.className) ?? [];
        list.push(c);
        open.set(c.className, list);
      }
      // A simulated session (its prefix id) -> the measured session its first call matched.
      const sessionOf = new Map<number, number>();
      const matched = (req: RequestView): BundledCall | undefined => {
        const key = sessionOf.get(req.prefixId);
        if (key !== undefined) return laterSends.get(key)?.shift();
        const list = open.get(req.className);
        let best = -1;
        if (list)
          for (let i = 0; i < list.length; i++) {
            const d = Math.abs(list[i]!.atMs - req.arrivalMs);
            if (d <= PICK_MATCH_MS && (best < 0 || d < Math.abs(list[best]!.atMs - req.arrivalMs))) best = i;
          }
        if (best < 0) return undefined;
        const call = list!.splice(best, 1)[0]!;
        if (call.session !== undefined) sessionOf.set(req.prefixId, call.session.key);
        return call;
      };
      return {
        route(req, targets, context) {
          const call = context.attempt === 0 ? matched(req) : undefined;
          const target =
            call?.picked === undefined ? undefined : targets.find((t) => t.provider === call.picked);
          return target ?? inner.route(req, targets, context);
        },
        ...(inner.onOutcome ? { onOutcome: (o: AttemptOutcomeView) => inner.onOutcome!(o) } : {}),
      };
    },
  };
  return { definition: definition as unknown as PolicyDefinition, params: own.params };
}

/**
 * The run seed of luck draw `luck` on traffic seed `traffic`: distinct for every pair, and for
 * traffic seed 1 the seeds 1, 2, ... the prediction used before it met each run's own traffic.
 */
export function luckSeed(traffic: number, luck: number): number {
  return (traffic - 1) * 1000 + luck;
}

/**
 * The q-quantile (nearest rank) of x + g over every pair of `values` and `added` (the
 * distribution of a sum of independent draws), with `added` taken at up to 64 of its own
 * quantiles (a few hundred probes times thousands of requests is more pairs than it needs).
 */
export function convolvedQuantile(values: readonly number[], added: readonly number[], q: number): number {
  if (values.length === 0 || added.length === 0) return Number.NaN;
  const sorted = [...added].sort((a, b) => a - b);
  const m = Math.min(64, sorted.length);
  const points = Array.from({ length: m }, (_, j) => sorted[Math.floor(((j + 0.5) * sorted.length) / m)]!);
  const sums = new Float64Array(values.length * m);
  let i = 0;
  for (const v of values) for (const g of points) sums[i++] = v + g;
  sums.sort();
  return sums[Math.min(sums.length - 1, Math.max(0, Math.ceil(q * sums.length) - 1))]!;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * loop.ts's quantile tolerance, except where the sample cannot bound the quantile from above: when
 * the upper end of its 99.7% interval (rank n q + 3 sqrt(n q (1 - q))) is past the sample's largest
 * value (a p99 of fewer than about 900 values), the true quantile may be anywhere above, and a
 * prediction above the measured value is not refuted (Infinity: the row cannot be judged).
 */
export function quantileRowTolerance(values: readonly number[], q: number, predictedAbove: boolean): number {
  const n = values.length;
  if (n === 0) return Number.POSITIVE_INFINITY;
  const upperRank = Math.ceil(n * q + 3 * Math.sqrt(n * q * (1 - q)));
  if (predictedAbove && upperRank > n) return Number.POSITIVE_INFINITY;
  return quantileTolerance(values, q);
}

/**
 * Per class: TTFT and E2E p50/p99 of the ok calls and the error share of the finished calls; for
 * all: retries per call (provider attempts beyond one per call). The predicted side is the pooled
 * prediction of the same requests (`predictBundled`): a quantile of every simulated ok request of
 * the class, a share of every simulated request. Tolerances as loop.ts's: a quantile the larger of
 * 10% and its distribution-free 99.7% interval, a share the larger of 2 points and 3 standard
 * errors (retries per call: see its row, its spread over luck seeds from `spread`). `runs`:
 * measured runs pooled.
 */
export function compareBundled(
  predicted: BundledPrediction,
  m: BundledMeasurement,
  runs = 1,
  spread: BundledPrediction = predicted,
): Row[] {
  const rows: Row[] = [];
  const classes = Object.keys(predicted.results[0]!.classes);
  for (const name of classes) {
    const calls = m.calls.filter((c) => c.className === name);
    const ok = calls.filter((c) => c.ok);
    const simulatedOk = predicted.samples.filter((s) => s.class === name && s.outcome === 'ok');
    for (const [metric, key, values] of [
      ['ttft', 'ttft', ok.map((c) => c.ttftMs)],
      ['e2e', 'e2e', ok.map((c) => c.e2eMs)],
    ] as const)
      for (const [stat, q] of [
        ['p50', 0.5],
        ['p99', 0.99],
      ] as const) {
        const shifted = predicted.shiftedValues[name]?.[key];
        const predictedQ = shifted
          ? convolvedQuantile(shifted.values, shifted.added, q)
          : quantile(
              simulatedOk.map((s) => (key === 'ttft' ? s.ttftMs! : s.e2eMs!)),
              q,
            );
        const measuredQ = quantile(values, q);
        rows.push({
          metric: `${name} ${metric} ${stat}`,
          predicted: predictedQ,
          measured: measuredQ,
          tolerance: quantileRowTolerance(values, q, predictedQ > measuredQ),
          relative: true,
          n: values.length,
        });
      }
    const finished = calls.filter((c) => !c.unfinished);
    const errorMeasured = finished.length > 0 ? 1 - ok.length / finished.length : 0;
    let done = 0;
    let completed = 0;
    for (const r of predicted.results) {
      const q = r.classes[name]!.requests;
      done += q.offered - q.unfinished;
      completed += q.completed;
    }
    rows.push({
      metric: `${name} error share`,
      predicted: done > 0 ? 1 - completed / done : 0,
      measured: errorMeasured,
      tolerance: shareTolerance(errorMeasured, Math.max(1, finished.length)),
      relative: false,
      n: finished.length,
    });
  }
  const n = m.calls.length;
  const offered = predicted.results.reduce((a, r) => a + r.requests.offered, 0);
  const attempts = predicted.results.reduce((a, r) => a + r.requests.attempts, 0);
  const retryMeasured = (m.attempts - n) / n;
  rows.push({
    metric: 'retries per call',
    predicted: (attempts - offered) / offered,
    measured: retryMeasured,
    // Not a share: a call that meets the outage makes two retries or more, and calls come in
    // sessions, so 3 binomial standard errors understate how much one run's figure varies. The
    // prediction's own spread over its luck seeds on the same traffic (each a run of this size
    // with its routing and the providers' draws anew) is that variation: 3 standard deviations of
    // it, over sqrt(runs) for pooled runs.
    tolerance: Math.max(
      shareTolerance(Math.min(1, Math.max(0, retryMeasured)), n),
      (3 * withinSd(spread)) / Math.sqrt(runs),
    ),
    relative: false,
    n,
  });
  return rows;
}

/** The standard deviation of retries per call between luck seeds of the same traffic, pooled. */
function withinSd(p: BundledPrediction): number {
  const byTraffic = new Map<number, number[]>();
  p.results.forEach((r, i) => {
    const list = byTraffic.get(p.trafficSeeds[i]!) ?? [];
    list.push((r.requests.attempts - r.requests.offered) / r.requests.offered);
    byTraffic.set(p.trafficSeeds[i]!, list);
  });
  let squares = 0;
  let freedom = 0;
  for (const xs of byTraffic.values()) {
    const m = mean(xs);
    for (const x of xs) squares += (x - m) ** 2;
    freedom += xs.length - 1;
  }
  return freedom > 0 ? Math.sqrt(squares / freedom) : 0;
}

/**
 * Per class whose config load-balances: the share of its calls Portkey's picks sent to each
 * branch, against the config's weights (a share: the larger of 2 points and 3 standard errors).
 * With the picks replayed in the paired prediction, these rows are what holds the weights; they
 * check how the run drew, not the model, so the strict line leaves them their sample's tolerance.
 */
export function pickRows(loop: LoopScenario, m: BundledMeasurement): Row[] {
  const rows: Row[] = [];
  const classes = [...new Set(m.calls.map((c) => c.className))];
  for (const name of classes) {
    const config = loop.configFor('http://127.0.0.1:1', name);
    const providers = branchProviders(config);
    if (providers.length < 2) continue;
    const weights = (config['targets'] as { weight?: number }[]).map((t) => t.weight ?? 1);
    const total = weights.reduce((a, b) => a + b, 0);
    const picked = m.calls.filter((c) => c.className === name && c.picked !== undefined);
    providers.forEach((provider, i) => {
      const share = picked.filter((c) => c.picked === provider).length / Math.max(1, picked.length);
      rows.push({
        metric: `${name} picks ${provider}`,
        predicted: weights[i]! / total,
        measured: share,
        tolerance: shareTolerance(weights[i]! / total, Math.max(1, picked.length)),
        relative: false,
        n: picked.length,
        sampleOnly: true,
      });
    });
  }
  return rows;
}

/**
 * How closely each measured ok call followed its simulated twin in the paired prediction (the
 * request of its class arriving nearest it in the run's simulation), for the classes hosted APIs
 * serve: the median and the 90th percentile of |measured - simulated| TTFT, and the share of calls
 * within 10% of their twin.
 */
export function twinAgreement(
  runs: readonly BundledMeasurement[],
  paired: BundledPrediction,
): { calls: number; medianMs: number; p90Ms: number; within10: number } {
  const diffs: number[] = [];
  let within = 0;
  runs.forEach((r, k) => {
    const byClass = new Map<string, RequestSample[]>();
    for (const s of paired.runSamples[k] ?? [])
      if (s.outcome === 'ok') byClass.set(s.class, [...(byClass.get(s.class) ?? []), s]);
    for (const c of r.calls) {
      // A class only pools serve has no round trip in the simulator: its twins differ by the gateway's time.
      if (!c.ok || paired.shiftedValues[c.className]) continue;
      let twin: RequestSample | undefined;
      for (const s of byClass.get(c.className) ?? [])
        if (twin === undefined || Math.abs(s.arrivalMs - c.atMs) < Math.abs(twin.arrivalMs - c.atMs))
          twin = s;
      if (twin === undefined || Math.abs(twin.arrivalMs - c.atMs) > PICK_MATCH_MS) continue;
      const d = Math.abs(c.ttftMs - twin.ttftMs!);
      diffs.push(d);
      if (d <= 0.1 * twin.ttftMs!) within++;
    }
  });
  return {
    calls: diffs.length,
    medianMs: quantile(diffs, 0.5),
    p90Ms: quantile(diffs, 0.9),
    within10: diffs.length > 0 ? within / diffs.length : Number.NaN,
  };
}
