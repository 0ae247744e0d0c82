/**
 * Targets join and leave during a run (ARCHITECTURE.md, "Owners"): a target that joins gets a new
 * index and is offered to routing from then on; one that leaves is offered no more, while the
 * attempts it has in flight still finish and report. Policies that keep state per target (keyed
 * on its index) cope, because an index is never reused.
 */

import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { builtinPolicies } from '../../policies/index.ts';
import { Simulation } from '../../src/engine/simulation.ts';
import { Gateway } from '../../src/gateway/pipeline.ts';
import type {
  AdmissionPolicy,
  HealthPolicy,
  PolicyContext,
  PolicyDefinition,
  RoutingPolicy,
  TargetView,
} from '../../src/gateway/policy.ts';
import type { GatewayProbe } from '../../src/gateway/probe.ts';
import type { TryOutcome } from '../../src/gateway/try-listener.ts';
import type { Attempt } from '../../src/providers/attempt.ts';
import { GpuPool } from '../../src/providers/gpu/gpu-pool.ts';
import { resolveGpuSetup } from '../../src/providers/gpu/setup.ts';
import { QueueProvider } from '../../src/providers/queue/queue-provider.ts';
import { WorkItem } from '../../src/providers/work-item.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import { replicaBackend } from '../../src/simulator/targets.ts';
import { gpuConfig } from '../providers/gpu/gpu-harness.ts';
import { queueConfig } from '../providers/harness.ts';

const inf = Number.POSITIVE_INFINITY;

function policy<P>(name: string, ctx: PolicyContext): P {
  const def = builtinPolicies.find((p) => p.name === name) as PolicyDefinition | undefined;
  if (!def) throw new Error(`no policy ${name}`);
  return def.create((def.params?.parse({}) ?? {}) as never, ctx) as P;
}

/** Attempts started per target name, with the time each started. */
class StartLog implements GatewayProbe {
  readonly starts: { target: number; atMs: number }[] = [];
  readonly reported: Attempt[] = [];
  admitted(): void {}
  rejected(): void {}
  hedged(): void {}
  retryDenied(): void {}
  gatewayRetried(): void {}
  attemptStarted(a: Attempt): void {
    this.starts.push({ target: a.targetIndex, atMs: a.startMs });
  }
  attemptAbandoned(): void {}
  attemptDone(a: Attempt): void {
    this.reported.push(a);
  }
}

/**
 * 20 requests/s for 30 s over queue servers (500 ms service, 4 servers each): `a` from the start,
 * `b` joins at 10 s, `a` leaves at 20 s and `c` joins at 25 s.
 */
function gatewayOn(sim: Simulation, routingName: string, healthName?: string) {
  const base = validateScenario({
    name: 'join-leave',
    duration: '30s',
    providers: [{ name: 'x', kind: 'queue', servers: 1, service: '1s' }],
    workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
  });
  const probe = new StartLog();
  const gateway = new Gateway({
    scheduler: sim,
    config: base.gateway,
    classes: [{ name: 'c', priority: 0, tenant: undefined, slo: { ttftMs: inf, tpotMs: inf, e2eMs: inf } }],
    policies: (offerQueue) => {
      const context: PolicyContext = {
        now: () => sim.now(),
        random: seedrandom.alea(routingName) as () => number,
        schedule: (delayMs, fn) => sim.after(delayMs, fn, undefined),
        offerQueue,
      };
      return {
        routing: policy<RoutingPolicy>(routingName, context),
        admission: policy<AdmissionPolicy>('always-admit', context),
        health: healthName ? policy<HealthPolicy>(healthName, context) : undefined,
        names: { routing: routingName },
      };
    },
    probe,
    retryRng: () => 0.5,
  });
  return { gateway, probe };
}

function run(routingName: string, healthName?: string) {
  const sim = new Simulation();
  const { gateway, probe } = gatewayOn(sim, routingName, healthName);
  const join = (name: string): TargetView => {
    const provider = new QueueProvider(
      { ...queueConfig({ servers: 4, service: '500ms' }), name },
      sim,
      gateway,
      () => 0.5,
    );
    return gateway.addTarget(
      {
        name,
        provider: name,
        providerIndex: 0,
        kind: 'queue',
        models: [name],
        inputPerMTok: 0,
        outputPerMTok: 0,
      },
      provider,
    );
  };
  const outcomes: TryOutcome[] = [];
  const listener = { tryEnded: (_: number, outcome: TryOutcome) => outcomes.push(outcome) };
  const indexes: Record<string, number> = { a: join('a').index };
  sim.at(10_000, () => (indexes['b'] = join('b').index), undefined);
  sim.at(20_000, () => gateway.removeTarget(indexes['a']!), undefined);
  sim.at(25_000, () => (indexes['c'] = join('c').index), undefined);
  for (let i = 0; i < 600; i++) {
    const at = i * 50;
    sim.at(
      at,
      () => {
        const work = new WorkItem(i, 0, at, 100, 10, inf, true, false, i % 7, 50);
        gateway.receive(gateway.open(work, i, listener), 1);
      },
      undefined,
    );
  }
  sim.run(inf);
  return { probe, outcomes, indexes, gateway };
}

describe('targets joining and leaving', () => {
  for (const [routing, health] of [
    ['round-robin', undefined],
    ['least-outstanding', undefined],
    ['power-of-two-choices', undefined],
    ['peak-ewma', undefined],
    ['prefix-affinity', undefined],
    ['endpoint-picker', undefined],
    ['round-robin', 'outlier-ejection'],
    ['round-robin', 'circuit-breaker'],
  ] as const) {
    // endpoint-picker keeps a prefix on the replica that cached it: an idle newcomer need not get any.
    const spreads = routing !== 'endpoint-picker';
    it(`routes only to targets present, and finishes what a departed one holds (${routing}${health ? ` + ${health}` : ''})`, () => {
      const { probe, outcomes, indexes, gateway } = run(routing, health);
      // Indexes are identities: new ones for every join, never one a departed target had.
      expect(indexes).toEqual({ a: 0, b: 1, c: 2 });
      expect(gateway.activeTargets().map((t) => t.name)).toEqual(['b', 'c']);
      const starts = (t: number) => probe.starts.filter((s) => s.target === t).map((s) => s.atMs);
      // b only after it joined, a never after it left, c only after it joined.
      expect(Math.min(...starts(1))).toBeGreaterThanOrEqual(10_000);
      expect(Math.max(...starts(0))).toBeLessThan(20_000);
      expect(Math.min(...starts(2))).toBeGreaterThanOrEqual(25_000);
      // Each target took work while present (a: 0-20 s, b: 10-30 s, c: 25-30 s).
      expect(starts(0).length).toBeGreaterThan(100);
      expect(starts(1).length).toBeGreaterThan(100);
      if (spreads) expect(starts(2).length).toBeGreaterThan(10);
      // Every request answered; a's last attempts finished after it left and were reported.
      expect(outcomes).toHaveLength(600);
      expect(outcomes.every((o) => o === 'ok')).toBe(true);
      expect(probe.reported).toHaveLength(probe.starts.length);
      expect(
        Math.max(...probe.reported.filter((a) => a.targetIndex === 0).map((a) => a.endMs)),
      ).toBeGreaterThan(19_999);
    });
  }

  it('takes a GPU replica out of rotation and back (as a new target), its running sequences finishing', () => {
    const sim = new Simulation();
    const { gateway, probe } = gatewayOn(sim, 'least-outstanding');
    const pool = new GpuPool(resolveGpuSetup(gpuConfig({ replicas: 3 })), sim, gateway, () => 0.5);
    const replicas = pool.replicas!;
    const join = (id: number) =>
      gateway.addTarget(
        {
          name: `p/${id}`,
          provider: 'p',
          providerIndex: 0,
          kind: 'gpu',
          models: ['m'],
          inputPerMTok: 0,
          outputPerMTok: 0,
        },
        replicaBackend(pool, replicas, id),
      ).index;
    const ids = [0, 1, 2].map(join);
    let rejoined = -1;
    sim.at(10_000, () => gateway.removeTarget(ids[2]!), undefined);
    sim.at(20_000, () => (rejoined = join(2)), undefined);
    const outcomes: TryOutcome[] = [];
    const listener = { tryEnded: (_: number, outcome: TryOutcome) => outcomes.push(outcome) };
    for (let i = 0; i < 300; i++) {
      const at = i * 100;
      sim.at(
        at,
        () => gateway.receive(gateway.open(new WorkItem(i, 0, at, 200, 50, inf, true, true), i, listener), 1),
        undefined,
      );
    }
    sim.run(inf);
    const starts = (t: number) => probe.starts.filter((s) => s.target === t).map((s) => s.atMs);
    expect(rejoined).toBe(3);
    expect(Math.max(...starts(2))).toBeLessThan(10_000);
    expect(Math.min(...starts(3))).toBeGreaterThanOrEqual(20_000);
    expect(starts(2).length + starts(3).length).toBeGreaterThan(50);
    expect(outcomes).toHaveLength(300);
    expect(outcomes.every((o) => o === 'ok')).toBe(true);
    expect(probe.reported).toHaveLength(probe.starts.length);
  });

  it("keeps each target's deployment group (the active targets serving its model) current as targets join and leave", () => {
    const sim = new Simulation();
    const { gateway } = gatewayOn(sim, 'round-robin');
    const join = (name: string, models: string[]) =>
      gateway.addTarget(
        { name, provider: name, providerIndex: 0, kind: 'queue', models, inputPerMTok: 0, outputPerMTok: 0 },
        new QueueProvider({ ...queueConfig({ servers: 1, service: '1s' }), name }, sim, gateway, () => 0.5),
      );
    const a = join('a', ['m']);
    expect(a.group).toEqual({ model: 'm', size: 1 });
    const b = join('b', ['m', 'n']);
    const c = join('c', ['n', 'm']);
    // a and b are in group m (3 targets serve m); c is in group n (2 serve n).
    expect([a.group.model, a.group.size, b.group.size, c.group.model, c.group.size]).toEqual([
      'm',
      3,
      3,
      'n',
      2,
    ]);
    gateway.removeTarget(b.index);
    expect([a.group.size, c.group.size]).toEqual([2, 1]);
    gateway.removeTarget(b.index); // leaving twice changes nothing
    expect(a.group.size).toBe(2);
    const d = join('d', []); // no models: its own name's group
    expect(d.group).toEqual({ model: 'd', size: 1 });
  });

  it('refuses a routing answer that is not one of the targets offered, naming the policy', () => {
    const sim = new Simulation();
    const base = validateScenario({
      name: 'bad-route',
      duration: '1s',
      providers: [{ name: 'x', kind: 'queue', servers: 1, service: '1s' }],
      workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
    });
    const gateway = new Gateway({
      scheduler: sim,
      config: base.gateway,
      classes: [{ name: 'c', priority: 0, tenant: undefined, slo: { ttftMs: inf, tpotMs: inf, e2eMs: inf } }],
      policies: () => ({
        // Returns a look-alike of a departed target.
        routing: { route: (_req, targets) => ({ ...targets[0]!, index: 99 }) },
        admission: { admit: () => 'admit' },
        names: { routing: 'my-router' },
      }),
      probe: new StartLog(),
      retryRng: () => 0.5,
    });
    const provider = new QueueProvider(
      { ...queueConfig({ servers: 1, service: '1s' }), name: 'x' },
      sim,
      gateway,
      () => 0.5,
    );
    gateway.addTarget(
      {
        name: 'x',
        provider: 'x',
        providerIndex: 0,
        kind: 'queue',
        models: ['x'],
        inputPerMTok: 0,
        outputPerMTok: 0,
      },
      provider,
    );
    const work = new WorkItem(0, 0, 0, 100, 10, inf, true, false);
    expect(() => gateway.receive(gateway.open(work, 0, { tryEnded() {} }), 1)).toThrow(
      "routing policy 'my-router' returned target 'x' for a request of class 'c', which is not one of the 1 targets it was offered",
    );
  });
});
