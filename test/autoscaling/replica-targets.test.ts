/**
 * Autoscaled replicas as gateway targets (`expose: replicas` with `autoscaling`): a replica's
 * target joins when the replica becomes ready and leaves when it starts draining
 * (src/simulator/targets.ts, addTargets). No attempt reaches a replica that is not ready, every
 * request is answered, and routing policies that keep state per target cope.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { builtinPolicies } from '../../policies/index.ts';
import { Simulation } from '../../src/engine/simulation.ts';
import { Gateway } from '../../src/gateway/pipeline.ts';
import type {
  AdmissionPolicy,
  PolicyContext,
  PolicyDefinition,
  RoutingPolicy,
} from '../../src/gateway/policy.ts';
import type { GatewayProbe } from '../../src/gateway/probe.ts';
import type { TryOutcome } from '../../src/gateway/try-listener.ts';
import type { Attempt } from '../../src/providers/attempt.ts';
import { autoscalerFor } from '../../src/providers/gpu/autoscaler-for.ts';
import { GpuPool } from '../../src/providers/gpu/gpu-pool.ts';
import { NodePool } from '../../src/providers/gpu/node-pool.ts';
import { resolveGpuSetup } from '../../src/providers/gpu/setup.ts';
import { WorkItem } from '../../src/providers/work-item.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { GpuProviderConfig, ScenarioInput } from '../../src/scenario/schema.ts';
import { addTargets, startScrapers } from '../../src/simulator/targets.ts';
import { gpuInput } from '../providers/gpu/gpu-harness.ts';
import { run as runScenario } from '../providers/harness.ts';
import { expectConserved } from './conservation.ts';

const inf = Number.POSITIVE_INFINITY;

/** A pool exposed as replicas behind a fast HPA: replicas join within 5-20 s and drain 10 s after the load drops. */
const AUTOSCALING = {
  min: 1,
  max: 6,
  target: 3,
  syncPeriod: '5s',
  scrapeInterval: '5s',
  provisioning: { dist: 'uniform', min: '5s', max: '20s' },
  scaleDown: { stabilizationWindow: '10s' },
};

function policy<P>(name: string, ctx: PolicyContext): P {
  const def = builtinPolicies.find((p) => p.name === name) as PolicyDefinition | undefined;
  if (!def) throw new Error(`no policy ${name}`);
  return def.create((def.params?.parse({}) ?? {}) as never, ctx) as P;
}

/** Each attempt's start, with whether its replica was ready at that instant. */
class ReadyCheck implements GatewayProbe {
  readonly starts: { target: number; atMs: number; ready: boolean }[] = [];
  readonly reported: Attempt[] = [];
  isReady: (target: number) => boolean = () => false;
  admitted(): void {}
  rejected(): void {}
  hedged(): void {}
  retryDenied(): void {}
  gatewayRetried(): void {}
  attemptStarted(a: Attempt): void {
    this.starts.push({ target: a.targetIndex, atMs: a.startMs, ready: this.isReady(a.targetIndex) });
  }
  attemptAbandoned(): void {}
  attemptDone(a: Attempt): void {
    this.reported.push(a);
  }
}

/**
 * 4 minutes of requests in waves (40/s for 30 s, then 4/s for 30 s), each of 8 prefixes, through
 * the gateway with `routing` to the replicas of one autoscaled pool.
 */
function wave(routing: string, seed: number, nodePool?: object) {
  const sim = new Simulation();
  const scenario = validateScenario({
    name: 'replica-targets',
    duration: '4m',
    providers: [
      gpuInput({
        expose: 'replicas',
        replicas: 1,
        timing: 'auto',
        autoscaling: AUTOSCALING,
        ...(nodePool ? { nodePool } : {}),
      } as never),
    ],
    workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
  });
  const probe = new ReadyCheck();
  const gateway = new Gateway({
    scheduler: sim,
    config: scenario.gateway,
    classes: [{ name: 'c', priority: 0, tenant: undefined, slo: { ttftMs: inf, tpotMs: inf, e2eMs: inf } }],
    policies: (offerQueue) => {
      const context: PolicyContext = {
        now: () => sim.now(),
        random: seedrandom.alea(`${routing}/${seed}`) as () => number,
        schedule: (delayMs, fn) => sim.after(delayMs, fn, undefined),
        offerQueue,
      };
      return {
        routing: policy<RoutingPolicy>(routing, context),
        admission: policy<AdmissionPolicy>('always-admit', context),
        health: undefined,
        names: { routing },
      };
    },
    probe,
    retryRng: () => 0.5,
  });
  const config = scenario.providers[0] as GpuProviderConfig;
  const rng = seedrandom.alea(String(seed)) as () => number;
  const pool = new GpuPool(resolveGpuSetup(config), sim, gateway, rng);
  const targets = addTargets(gateway, scenario, [pool]);
  probe.isReady = (index) => {
    const t = targets.find((j) => j.state.index === index)!;
    const id = Number(t.state.name.split('/')[1]);
    return pool.replicasIn('ready').includes(id);
  };
  if (config.nodePool) pool.useNodes(new NodePool(config.nodePool, config.tensorParallel, sim, rng));
  autoscalerFor(pool, config.autoscaling!, sim, rng)!.start();
  startScrapers(sim, scenario, [pool], targets);
  const outcomes: TryOutcome[] = [];
  const listener = { tryEnded: (_: number, outcome: TryOutcome) => outcomes.push(outcome) };
  let n = 0;
  for (let at = 0; at < 240_000; ) {
    const busy = Math.floor(at / 30_000) % 2 === 0;
    const i = n++;
    const arrival = at;
    sim.at(
      arrival,
      () => {
        const work = new WorkItem(i, 0, arrival, 600, 120, inf, true, true, i % 8, 512);
        gateway.receive(gateway.open(work, i, listener), 1);
      },
      undefined,
    );
    at += busy ? 25 : 250;
  }
  sim.run(600_000); // the scrapes and syncs go on forever: stop 6 min after the last arrival
  return { probe, outcomes, requests: n, pool, gateway, targets };
}

describe('autoscaled replicas as gateway targets', () => {
  for (const routing of [
    'round-robin',
    'least-outstanding',
    'power-of-two-choices',
    'prefix-affinity',
    'endpoint-picker',
  ]) {
    it(`${routing}: no attempt reaches a replica before it is ready or after it starts draining; every request answered`, () => {
      const { probe, outcomes, requests, pool, gateway, targets } = wave(routing, 1);
      expect(probe.starts.every((s) => s.ready)).toBe(true);
      expect(outcomes).toHaveLength(requests);
      expect(outcomes.every((o) => o === 'ok')).toBe(true);
      expect(probe.reported).toHaveLength(probe.starts.length);
      // Replicas did join and leave: targets beyond the first, and some gone again.
      expect(targets.length).toBeGreaterThan(3);
      expect(pool.replicasIn('gone').length).toBeGreaterThan(1);
      // Each joined replica served (the newcomers were offered to routing).
      const served = new Set(probe.starts.map((s) => s.target));
      expect(served.size).toBeGreaterThan(2);
      // The gateway's active targets are exactly the ready replicas at the end.
      const ready = pool.replicasIn('ready').map((id) => `p/${id}`);
      expect(gateway.activeTargets().map((t) => t.name)).toEqual(ready);
    });
  }
});

describe('autoscaled replicas on a node pool as gateway targets', () => {
  // Two replicas per node, nodes in 10-40 s, at most 3, removed 30 s after they empty.
  const NODES = {
    gpusPerNode: 2,
    costPerNodeHour: 5,
    provisioning: { dist: 'uniform', min: '10s', max: '40s' },
    maxNodes: 3,
    scaleDownUnneededTime: '30s',
  };
  for (const routing of ['least-outstanding', 'prefix-affinity', 'endpoint-picker']) {
    it(`${routing}: no attempt reaches a replica before it is ready (node provisioning included) or after it starts draining`, () => {
      const { probe, outcomes, requests, pool, gateway } = wave(routing, 2, NODES);
      expect(probe.starts.every((s) => s.ready)).toBe(true);
      expect(outcomes).toHaveLength(requests);
      expect(outcomes.every((o) => o === 'ok')).toBe(true);
      expect(probe.reported).toHaveLength(probe.starts.length);
      expect(pool.replicasIn('gone').length).toBeGreaterThan(1);
      expect(pool.stats(600_000)['nodesEver'] as number).toBeGreaterThan(2);
      const ready = pool.replicasIn('ready').map((id) => `p/${id}`);
      expect(gateway.activeTargets().map((t) => t.name)).toEqual(ready);
    });
  }
});

describe('a whole run with autoscaled replicas as targets', () => {
  function scenario(routing: string): ScenarioInput {
    return {
      name: 'replica-targets-run',
      duration: '6m',
      drain: '5m',
      metrics: { interval: '30s' },
      providers: [
        {
          name: 'pool',
          kind: 'gpu',
          model: 'llama-3.1-8b',
          gpu: 'h100-80gb',
          replicas: 1,
          expose: 'replicas',
          costPerReplicaHour: 2,
          autoscaling: AUTOSCALING,
        },
      ],
      workload: {
        arrivals: {
          rate: '6/s',
          timeline: [1, 2, 3, 4, 5].map((m) => ({
            spike: { at: `${m}m`, multiplier: 3, rampUp: '5s', hold: '20s', rampDown: '5s' },
          })),
        },
        classes: [{ name: 'c', promptTokens: 1000, outputTokens: 200, prefix: { groups: 8, tokens: 512 } }],
      },
      gateway: { routing },
    } as ScenarioInput;
  }

  it.each([
    [1, 'prefix-affinity'],
    [2, 'endpoint-picker'],
    [3, 'least-outstanding'],
  ])('seed %i (%s): conservation holds while replica targets join and leave', async (seed, routing) => {
    const r = await runScenario(scenario(routing), seed);
    const q = r.requests;
    const pool = expectConserved(r);
    // Joining and draining fails nothing: no 503 from a replica that was not ready.
    expect(q.completed).toBe(q.offered);
    expect(pool.details!['replicasEver'] as number).toBeGreaterThan(4);
  });
});
