/**
 * The prediction of what a load run measures (`floodgate run --time-scale F --rate-scale R
 * --topology direct|gateway`): the scenario rewritten into the run k6 actually makes, then
 * simulated as any scenario.
 *
 * Time scaling has one meaning on every command (`run`, `k6`, `emulate`, `observe`): F real
 * seconds per scenario second of the scenario's timeline. The timeline is what happens at a
 * moment of the run: arrivals (rates kept, their shape F times as long: a spike at 2m comes at
 * 2m x F), faults, the warmup, the duration and recovery windows. What a request or a user does
 * is not scaled: latencies, timeouts, backoff, think times, keystrokes, rate-limit windows and
 * the drain (k6's gracefulStop). R multiplies every arrival rate.
 *
 * k6 starts iterations evenly (arrival-rate executors), so the prediction's arrivals are
 * `uniform` (a trace keeps its own times). The topology says what k6 talks to:
 * - `gateway`: the scenario's gateway, in front of the providers (a real gateway configured as
 *   the scenario's, and `floodgate emulate` behind it);
 * - `direct`: k6 straight to `floodgate emulate`: no gateway policy (admission always-admit,
 *   no health, retries, hedging, fallbacks or attempt timeout), and each class on the one provider
 *   the emulator serves its requests with (src/emulator/provider-choice.ts, for the `model` the
 *   script sends).
 */
import { chooseProvider } from '../emulator/provider-choice.ts';
import { FloodgateError } from '../errors.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { ArrivalsConfig, FaultConfig, Scenario, TimelineEntry } from '../scenario/schema.ts';
import { modelOf } from './compile.ts';

export type Topology = 'direct' | 'gateway';
export const TOPOLOGIES: readonly Topology[] = ['direct', 'gateway'];

export interface PredictionOptions {
  /** Real seconds per scenario second of the timeline (default 1). */
  timeScale?: number;
  /** Multiplier on every arrival rate (default 1). */
  rateScale?: number;
  topology: Topology;
}

/** What a prediction's run result records beside the simulator's figures (`prediction`). */
export interface PredictionBlock {
  timeScale: number;
  rateScale: number;
  topology: Topology;
  /** `uniform`: iterations start evenly, as k6's arrival-rate executors start them. */
  arrivals: 'uniform';
  /** Direct topology: the provider each class's requests go to. */
  routes?: Record<string, string>;
  /** What the run does that this prediction does not model, one line each (absent when nothing). */
  notes?: string[];
}

/** The scenario of the run k6 makes, and what was assumed. Pure: the loaded scenario is not changed. */
export function predictionScenario(
  loaded: LoadedScenario,
  options: PredictionOptions,
): { loaded: LoadedScenario; prediction: PredictionBlock } {
  const f = options.timeScale ?? 1;
  const r = options.rateScale ?? 1;
  if (!(f > 0 && Number.isFinite(f)) || !(r > 0 && Number.isFinite(r)))
    throw new FloodgateError(
      'FG_SCENARIO_INVALID',
      `expected a time scale and a rate scale greater than 0, got ${f} and ${r}`,
    );
  const s = loaded.scenario;
  const prediction: PredictionBlock = {
    timeScale: f,
    rateScale: r,
    topology: options.topology,
    arrivals: 'uniform',
  };
  let scenario: Scenario = {
    ...s,
    duration: s.duration * f,
    warmup: s.warmup * f,
    faults: s.faults.map((x) => scaleFault(x, f)),
    workload: {
      ...s.workload,
      ...(s.workload.arrivals ? { arrivals: scaleArrivals(s.workload.arrivals, f, r) } : {}),
      classes: s.workload.classes.map((c) =>
        c.arrivals ? { ...c, arrivals: scaleArrivals(c.arrivals, f, r) } : c,
      ),
    },
    ...(s.recovery ? { recovery: scaleRecovery(s.recovery, f) } : {}),
  };
  if (options.topology === 'direct') {
    const routes: Record<string, string> = {};
    const served = s.providers.map((p) => ({ name: p.name, models: p.models ?? [p.name] }));
    scenario = {
      ...scenario,
      // A pool is one endpoint to the emulator's chat route: its own balancer spreads the work.
      providers: scenario.providers.map((p) => (p.kind === 'gpu' ? { ...p, expose: 'pool' as const } : p)),
      workload: {
        ...scenario.workload,
        classes: scenario.workload.classes.map((c) => {
          const at = chooseProvider(served, modelOf(s, c), c);
          if (at === undefined) return c;
          const name = s.providers[at]!.name;
          routes[c.name] = name;
          return { ...c, providers: [name] };
        }),
      },
      gateway: {
        ...s.gateway,
        admission: { policy: 'always-admit', params: {} },
        routing: { policy: 'round-robin', params: {} },
        health: undefined,
        attemptTimeout: undefined,
        retries: { ...s.gateway.retries, max: 0, budget: undefined },
        hedging: undefined,
        fallbacks: {},
      },
    };
    prediction.routes = routes;
    // The emulator honours X-Floodgate-Deadline-Ms in its providers' queues (src/emulator/deadline.ts);
    // the simulator applies a class deadline in the gateway's queue only, which a direct run has not.
    const notes = s.workload.classes
      .filter((c) => c.deadline !== undefined)
      .map(
        (c) =>
          `class ${c.name}: the emulator drops a request still waiting in its provider's queue ${c.deadline} ms after it arrived (X-Floodgate-Deadline-Ms, 503 deadline_exceeded); this prediction does not, so it shows them waiting instead`,
      );
    if (notes.length > 0) prediction.notes = notes;
  }
  return { loaded: { ...loaded, scenario }, prediction };
}

function scaleFault(x: FaultConfig, f: number): FaultConfig {
  return { ...x, at: x.at * f, for: x.for * f };
}

/** Times of the rate timeline x f, rates x r; uniform arrivals; a trace plays 1/f as fast, thinned by f. */
function scaleArrivals(a: ArrivalsConfig, f: number, r: number): ArrivalsConfig {
  if (a.trace)
    return { ...a, trace: { ...a.trace, speed: a.trace.speed / f, rateScale: a.trace.rateScale * f * r } };
  return {
    ...a,
    process: 'uniform',
    ...(a.rate !== undefined ? { rate: a.rate * r } : {}),
    timeline: (a.timeline ?? []).map((e) => scaleEntry(e, f, r)),
  };
}

function scaleEntry(e: TimelineEntry, f: number, r: number): TimelineEntry {
  if ('ramp' in e)
    return {
      ramp: {
        ...e.ramp,
        at: e.ramp.at * f,
        over: e.ramp.over * f,
        to: e.ramp.to * r,
        ...(e.ramp.from !== undefined ? { from: e.ramp.from * r } : {}),
      },
    };
  if ('step' in e) return { step: { at: e.step.at * f, rate: e.step.rate * r } };
  if ('spike' in e)
    return {
      spike: {
        ...e.spike,
        at: e.spike.at * f,
        rampUp: e.spike.rampUp * f,
        hold: e.spike.hold * f,
        rampDown: e.spike.rampDown * f,
      },
    };
  if ('diurnal' in e)
    return { diurnal: { ...e.diurnal, period: e.diurnal.period * f, peakAt: e.diurnal.peakAt * f } };
  return {
    bursts: {
      ...e.bursts,
      on: e.bursts.on * f,
      off: e.bursts.off * f,
      start: e.bursts.start * f,
      ...(e.bursts.end !== undefined ? { end: e.bursts.end * f } : {}),
    },
  };
}

function scaleRecovery(rc: NonNullable<Scenario['recovery']>, f: number): NonNullable<Scenario['recovery']> {
  return {
    ...rc,
    within: rc.within * f,
    window: rc.window * f,
    ...(rc.triggers !== 'auto'
      ? { triggers: rc.triggers.map((t) => ({ ...t, at: t.at * f, for: t.for * f })) }
      : {}),
  };
}
