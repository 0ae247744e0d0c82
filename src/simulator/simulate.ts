/**
 * simulate: a validated scenario in, a run result out. Resolves the policies (async: user modules
 * are bundled on load), then builds the run (providers, gateway, client, workload, faults,
 * metrics) on one Simulation and runs it: arrivals until `duration`, then a drain of up to
 * `drain` while requests are still in flight.
 */

import type { LuckMode } from '../engine/luck.ts';
import { RngStreams } from '../engine/rng.ts';
import { Simulation } from '../engine/simulation.ts';
import { Gateway } from '../gateway/pipeline.ts';
import type {
  AdmissionPolicy,
  HealthPolicy,
  PolicyContext,
  PolicyDefinition,
  RoutingPolicy,
} from '../gateway/policy.ts';
import { type GaugeSource, Recorder } from '../metrics/recorder.ts';
import { type RequestSample, RequestSampler, withSampler } from '../metrics/request-samples.ts';
import { buildResult } from '../metrics/result.ts';
import type { RunResult } from '../metrics/result-types.ts';
import { autoInterval } from '../metrics/timeseries.ts';
import { scheduleFaults } from '../providers/faults/fault-timeline.ts';
import { createProvider } from '../providers/index.ts';
import type { CapacityTime, Provider } from '../providers/provider.ts';
import { QualityModel } from '../providers/quality.ts';
import { WorkItemPool } from '../providers/work-item.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { Client } from '../workload/client.ts';
import { Workload } from '../workload/workload.ts';
import { startAutoscalers } from './autoscalers.ts';
import { isBuiltinPolicy, type ResolvedPolicy, resolvePolicy } from './policy-loader.ts';
import { addTargets, startKvEvents, startScrapers } from './targets.ts';

export interface SimulateOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /**
   * Draws the offered traffic (every `workload/` stream: arrivals, sizes, sessions, difficulties)
   * from this seed and everything else (providers, gateway, client) from `seed`: the same requests
   * met with other luck. Default: `seed`.
   */
  trafficSeed?: number;
  /**
   * Whose luck each provider attempt meets (engine/luck.ts): `arrival` (default) the provider's
   * stream in the order attempts reach it; `request` the request's own, by its traffic key and
   * its attempt count at that provider, whatever else the provider serves (API providers' TTFT
   * and speed, every provider's error-rate and stream-cut draws).
   */
  luck?: LuckMode;
  /** Called every ~65k events with simulated progress (the CLI draws its progress line). */
  onProgress?: (p: { simTimeMs: number; endMs: number; events: number }) => void;
  /**
   * Opt-in per-request samples: a seeded reservoir of at most `limit` ended requests, handed to
   * `collect` when the run ends with how many requests ended. Without it nothing is sampled.
   */
  samples?: { limit: number; collect: (samples: RequestSample[], seen: number) => void };
  /**
   * Reuse the records of ended requests (tickets, requests, attempts) for later ones; default
   * true. Results are the same either way (test/gateway/record-pool.test.ts): false is the
   * reference that test compares against.
   */
  recycle?: boolean;
}

export interface ResolvedPolicies {
  routing: ResolvedPolicy;
  admission: ResolvedPolicy;
  health: ResolvedPolicy | undefined;
}

/** Resolves the gateway's policies (built-in names or user modules) with validated params. */
export async function resolvePolicies(loaded: LoadedScenario): Promise<ResolvedPolicies> {
  const g = loaded.scenario.gateway;
  const src = { file: loaded.file, baseDir: loaded.baseDir };
  return {
    routing: await resolvePolicy(g.routing, 'routing', { ...src, path: ['gateway', 'routing'] }),
    admission: await resolvePolicy(g.admission, 'admission', { ...src, path: ['gateway', 'admission'] }),
    health: g.health
      ? await resolvePolicy(g.health, 'health', { ...src, path: ['gateway', 'health'] })
      : undefined,
  };
}

/** Resolves policies and runs the scenario. */
export async function simulate(loaded: LoadedScenario, options: SimulateOptions = {}): Promise<RunResult> {
  const policies = await resolvePolicies(loaded);
  return runScenario(loaded, policies, options);
}

/** Runs a scenario whose policies are already resolved (synchronous: the whole run is CPU). */
export function runScenario(
  loaded: LoadedScenario,
  policies: ResolvedPolicies,
  options: SimulateOptions = {},
): RunResult {
  const scenario: Scenario = loaded.scenario;
  const seed = options.seed ?? scenario.seed;
  const sim = new Simulation();
  const streams = new RngStreams(seed, options.trafficSeed ?? seed);
  const classes = scenario.workload.classes;

  // Built bottom-up, each part given what it talks to at construction: the recorder (the probe
  // every layer reports to), the gateway and its policies, the providers (reporting to the
  // gateway) joining it as targets, the client, the workload.
  const intervalMs =
    scenario.metrics.interval === 'auto'
      ? autoInterval(scenario.duration + scenario.drain)
      : scenario.metrics.interval;
  // Quality (a scenario `quality` section): capabilities by provider and class, read by the
  // recorder and the gateway's judge; the workload draws difficulties on its own streams.
  const quality = scenario.quality
    ? new QualityModel(
        scenario.quality,
        scenario.providers,
        classes.map((c) => c.name),
      )
    : undefined;
  const recorder = new Recorder(
    intervalMs,
    classes,
    scenario.providers,
    { admission: scenario.gateway.admission.policy, routing: scenario.gateway.routing.policy },
    quality,
  );
  const context = (name: string, offerQueue: () => void): PolicyContext => ({
    now: () => sim.now(),
    random: streams.get(`policy/${name}`),
    schedule: (delayMs, fn) => sim.after(delayMs, runCallback, fn),
    offerQueue,
  });
  const inf = Number.POSITIVE_INFINITY;
  const recycle = options.recycle ?? true;
  // Work items go back from the gateway (when it recycles a ticket) to the workload.
  const workPool = recycle ? new WorkItemPool() : undefined;
  const gateway = new Gateway({
    scheduler: sim,
    config: scenario.gateway,
    classes: classes.map((c) => ({
      name: c.name,
      priority: c.priority,
      tenant: c.tenant,
      slo: { ttftMs: c.slo.ttft ?? inf, tpotMs: c.slo.tpot ?? inf, e2eMs: c.slo.e2e ?? inf },
      providers: c.providers,
      models: c.models,
    })),
    // Created in this order (routing, admission, health), as their random streams always were.
    policies: (offerQueue) => ({
      routing: instantiate(policies.routing, context('routing', offerQueue)) as RoutingPolicy,
      admission: instantiate(policies.admission, context('admission', offerQueue)) as AdmissionPolicy,
      health: policies.health
        ? (instantiate(policies.health, context('health', offerQueue)) as HealthPolicy)
        : undefined,
      names: { routing: scenario.gateway.routing.policy },
    }),
    probe: recorder,
    retryRng: streams.get('gateway/retries'),
    quality,
    // Its own stream: named streams are independent, so this one shifts no other draw.
    judgeRng: streams.get('gateway/judge'),
    // The recorder, the sampler and the client keep no ticket or attempt: records are reused.
    recycle,
    workPool,
    // Views are reused only under policies known to keep none: the built-ins.
    reuseViews: [policies.routing, policies.admission, policies.health].every(
      (p) => p === undefined || isBuiltinPolicy(p.definition),
    ),
  });
  const faulted = new Set(scenario.faults.map((f) => f.provider));
  const providers: Provider[] = scenario.providers.map((p) =>
    createProvider(p, sim, gateway, streams, {
      faults: faulted.has(p.name),
      ...(options.luck !== undefined ? { luck: options.luck } : {}),
    }),
  );
  const providerByName = new Map(providers.map((p) => [p.name, p]));
  const targets = addTargets(gateway, scenario, providers);
  const sampler = options.samples
    ? new RequestSampler({
        limit: options.samples.limit,
        seed,
        classes,
        providers: scenario.providers.map((p) => p.name),
        now: () => sim.now(),
      })
    : undefined;
  // Only a run that asks for samples gets the tee; every other run talks to the recorder directly.
  const workloadProbe = sampler ? withSampler(recorder, sampler) : recorder;
  const client = new Client(
    sim,
    gateway,
    workloadProbe,
    classes.map((c) => c.client ?? scenario.workload.client),
    streams.get('client/retries'),
    streams.get('client/patience'),
    {
      keystrokes: classes.map((c) => c.cancelAfter),
      debounceMs: classes.map((c) => c.debounce ?? 0),
      rng: streams.get('client/keystrokes'),
    },
    // Nobody keeps a request after it ended (the recorder and the sampler copy what they need).
    recycle,
  );
  const workload = new Workload(sim, scenario, loaded.traces, streams, client, workloadProbe, workPool);
  const gauges: GaugeSource = {
    gatewayInFlight: () => gateway.inFlight,
    gatewayQueued: () => gateway.queued,
    liveRequests: () => client.live,
    liveSessions: () => workload.liveSessions(),
    providerInService: (i) => providers[i]!.inService(),
    providerQueued: (i) => providers[i]!.queued(),
    providerKvUsage: (i) => providers[i]!.gauges()?.kvUsage,
  };
  scheduleFaults(sim, scenario.faults, providerByName);
  const autoscalers = startAutoscalers(sim, scenario, providers, streams);
  if (autoscalers.some((a) => a !== undefined))
    gauges.providerReplicas = (i) => autoscalers[i]?.gauge(sim.now());
  startScrapers(sim, scenario, providers, targets);
  startKvEvents(gateway, providers, targets);
  workload.start();

  // Close each time-series window at its boundary, before any event at that instant (an event at
  // exactly k x interval belongs to window k), until the run ends.
  const closeWindow = () => {
    recorder.closeWindowsUntil(sim.now(), gauges);
    sim.atFirst(sim.now() + intervalMs, closeWindow, undefined);
  };
  sim.atFirst(intervalMs, closeWindow, undefined);

  const drainEnd = scenario.duration + scenario.drain;
  const progress = options.onProgress;
  const runOptions = progress
    ? { onProgress: (t: number, events: number) => progress({ simTimeMs: t, endMs: drainEnd, events }) }
    : {};
  // Utilization is over the measured span, warm-up end to the end of arrivals: the warm-up's
  // empty start and the drain's idle tail (up to a window long) would dilute it. The run pauses
  // at the warm-up's end to read capacity-time (a pause dispatches nothing: no outcome changes).
  let atWarmup: CapacityTime[] = providers.map(() => ({ busyMs: 0, availableMs: 0 }));
  if (scenario.warmup > 0 && scenario.warmup < scenario.duration) {
    sim.run(scenario.warmup, runOptions);
    atWarmup = providers.map((p) => p.capacityTime(sim.now()));
  }
  sim.run(scenario.duration, runOptions);
  const atEnd = providers.map((p) => p.capacityTime(sim.now()));
  const utilization = providers.map((_, i) => spanUtilization(atWarmup[i]!, atEnd[i]!));
  // Drain: keep going while requests are in flight, up to the drain limit.
  while (client.live > 0 && sim.now() < drainEnd)
    sim.run(Math.min(drainEnd, sim.now() + intervalMs), runOptions);
  const endMs = sim.now();
  recorder.closeFinalWindow(endMs, gauges);
  if (sampler) options.samples!.collect(sampler.samples(), sampler.seen);

  return buildResult({
    scenario,
    file: loaded.file,
    seed,
    trafficSeed: options.trafficSeed,
    ...(options.luck !== undefined ? { luck: options.luck } : {}),
    recorder,
    endMs,
    events: sim.events,
    utilization: Object.fromEntries(providers.map((p, i) => [p.name, utilization[i]!])),
    kinds: Object.fromEntries(providers.map((p) => [p.name, p.kind])),
    details: Object.fromEntries(providers.map((p) => [p.name, p.stats?.(endMs)])),
    prefixCaches: Object.fromEntries(providers.map((p) => [p.name, p.prefixCacheStats?.()])),
    capacities: Object.fromEntries(providers.map((p) => [p.name, p.capacity])),
  });
}

function instantiate(
  resolved: ResolvedPolicy,
  ctx: PolicyContext,
): RoutingPolicy | AdmissionPolicy | HealthPolicy {
  return (resolved.definition as PolicyDefinition).create(resolved.params as never, ctx);
}

function runCallback(fn: () => void): void {
  fn();
}

/** Busy over available capacity-time between two readings, in [0, 1] (0 when none was available). */
function spanUtilization(from: CapacityTime, to: CapacityTime): number {
  const available = to.availableMs - from.availableMs;
  return available > 0 ? Math.min(1, Math.max(0, (to.busyMs - from.busyMs) / available)) : 0;
}
