/**
 * simulate: a validated scenario in, a run result out. Resolves the policies (async: user modules
 * are bundled on load), then builds the run (providers, gateway, client, workload, faults,
 * metrics) on one Simulation and runs it: arrivals until `duration`, then a drain of up to
 * `drain` while requests are still in flight.
 */
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
import { type ResolvedPolicy, resolvePolicy } from '../gateway/policy-loader.ts';
import { Recorder } from '../metrics/recorder.ts';
import { buildResult } from '../metrics/result.ts';
import type { RunResult } from '../metrics/result-types.ts';
import { autoInterval } from '../metrics/timeseries.ts';
import type { Attempt } from '../providers/attempt.ts';
import { scheduleFaults } from '../providers/faults/fault-timeline.ts';
import { createProvider } from '../providers/index.ts';
import type { Provider } from '../providers/provider.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { Scenario } from '../scenario/schema.ts';
import { Client } from '../workload/client.ts';
import { Workload } from '../workload/workload.ts';
import { createTargets, startScrapers } from './targets.ts';

export interface SimulateOptions {
  /** Overrides the scenario's seed. */
  seed?: number;
  /** Called every ~65k events with simulated progress (the CLI draws its progress line). */
  onProgress?: (p: { simTimeMs: number; endMs: number; events: number }) => void;
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
  const streams = new RngStreams(seed);

  let gateway: Gateway | undefined;
  const sink = { attemptDone: (a: Attempt) => gateway!.attemptDone(a) };
  const providers: Provider[] = scenario.providers.map((p) => createProvider(p, sim, sink, streams));
  const providerByName = new Map(providers.map((p) => [p.name, p]));
  const targets = createTargets(scenario, providers);
  const eligible = scenario.workload.classes.map((c) =>
    targets.filter(
      (t) =>
        (!c.providers || c.providers.includes(t.provider)) &&
        (!c.models || t.models.some((m) => c.models!.includes(m))),
    ),
  );

  const intervalMs =
    scenario.metrics.interval === 'auto'
      ? autoInterval(scenario.duration + scenario.drain)
      : scenario.metrics.interval;
  const recorder = new Recorder(intervalMs, scenario.workload.classes, providers, {
    admission: scenario.gateway.admission.policy,
    routing: scenario.gateway.routing.policy,
  });
  const context = (name: string): PolicyContext => {
    const rng = streams.get(`policy/${name}`);
    return {
      now: () => sim.now(),
      random: rng,
      schedule: (delayMs, fn) => sim.after(delayMs, runCallback, fn),
      // The gateway is built after its policies; before the run starts there is no queue to offer.
      offerQueue: () => gateway?.offerQueue(),
    };
  };
  const routing = instantiate(policies.routing, context('routing')) as RoutingPolicy;
  const admission = instantiate(policies.admission, context('admission')) as AdmissionPolicy;
  gateway = new Gateway({
    scheduler: sim,
    config: scenario.gateway,
    targets,
    eligible,
    admission,
    routing,
    health: policies.health ? (instantiate(policies.health, context('health')) as HealthPolicy) : undefined,
    recorder,
    retryRng: streams.get('gateway/retries'),
  });
  const clientConfigs = scenario.workload.classes.map((c) => c.client ?? scenario.workload.client);
  const client = new Client(
    sim,
    gateway,
    recorder,
    clientConfigs,
    streams.get('client/retries'),
    streams.get('client/patience'),
    {
      keystrokes: scenario.workload.classes.map((c) => c.cancelAfter),
      debounceMs: scenario.workload.classes.map((c) => c.debounce ?? 0),
      rng: streams.get('client/keystrokes'),
    },
  );
  const gw = gateway;
  recorder.setGauges({
    gatewayInFlight: () => gw.inFlight,
    gatewayQueued: () => gw.queued,
    liveRequests: () => client.live,
    liveSessions: () => workload.liveSessions(),
  });
  const workload = new Workload(sim, scenario, loaded.traces, streams, client, recorder);
  scheduleFaults(sim, scenario.faults, providerByName);
  startScrapers(sim, scenario, providers, targets);
  workload.start();

  // Close each time-series window at its boundary, before any event at that instant (an event at
  // exactly k x interval belongs to window k), until the run ends.
  const closeWindow = () => {
    recorder.closeWindowsUntil(sim.now());
    sim.atFirst(sim.now() + intervalMs, closeWindow, undefined);
  };
  sim.atFirst(intervalMs, closeWindow, undefined);

  const drainEnd = scenario.duration + scenario.drain;
  const progress = options.onProgress;
  const runOptions = progress
    ? { onProgress: (t: number, events: number) => progress({ simTimeMs: t, endMs: drainEnd, events }) }
    : {};
  sim.run(scenario.duration, runOptions);
  // Drain: keep going while requests are in flight, up to the drain limit.
  while (client.live > 0 && sim.now() < drainEnd)
    sim.run(Math.min(drainEnd, sim.now() + intervalMs), runOptions);
  const endMs = sim.now();
  recorder.closeFinalWindow(endMs);

  return buildResult({
    scenario,
    file: loaded.file,
    seed,
    recorder,
    endMs,
    events: sim.events,
    utilization: Object.fromEntries(providers.map((p) => [p.name, p.utilization(endMs)])),
    kinds: Object.fromEntries(providers.map((p) => [p.name, p.kind])),
    details: Object.fromEntries(providers.map((p) => [p.name, p.stats?.(endMs)])),
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
