/**
 * Node pools (`nodePool` on an autoscaled GPU pool, src/providers/gpu/node-pool.ts): replicas are
 * packed onto nodes of gpusPerNode / tensorParallel slots; a replica that finds no free slot waits
 * for a new node (provisioning) before its own startup; an empty node is removed after the
 * unneeded time; the fleet bills node-hours from each node's request until it is removed; a spot
 * reclaim takes whole nodes. Exact timelines, billing, conservation over whole runs, input checks.
 */
import { describe, expect, it } from 'vitest';
import { formatSummary } from '../../src/cli/summary.ts';
import type { Simulation } from '../../src/engine/simulation.ts';
import { scheduleFaults } from '../../src/providers/faults/fault-timeline.ts';
import { PoolAutoscaler } from '../../src/providers/gpu/autoscaler.ts';
import { NodePool } from '../../src/providers/gpu/node-pool.ts';
import { timeCharts } from '../../src/report/run-report.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { ScenarioInput } from '../../src/scenario/schema.ts';
import { gpuAttempt, gpuConfig, makePool, submitAll } from '../providers/gpu/gpu-harness.ts';
import { run } from '../providers/harness.ts';
import { expectConserved } from './conservation.ts';

const MIN = 60_000;

/** Runs `fn` at `atMs` (the clock moves only with events) and the simulation up to then. */
function at(sim: Simulation, atMs: number, fn: () => void): void {
  sim.at(atMs, fn, undefined);
  sim.run(atMs);
}

/** A pool of `replicas` on nodes of 2 H100s (2 replicas per node at tensorParallel 1), 120 s to provision. */
function nodePool(
  replicas: number,
  node: Record<string, unknown> = {},
  fields: Record<string, unknown> = {},
) {
  const settings = {
    replicas,
    autoscaling: { min: 1, max: 8, target: 100, provisioning: '10s', modelLoad: '16s', warmUp: '4s' },
    nodePool: { gpusPerNode: 2, costPerNodeHour: 6, provisioning: '120s', maxNodes: 4, ...node },
    ...fields,
  } as never;
  const made = makePool(settings);
  const config = gpuConfig(settings);
  const nodes = new NodePool(config.nodePool!, config.tensorParallel, made.sim, () => 0.5);
  made.pool.useNodes(nodes);
  return { ...made, nodes, config };
}

describe('replicas on nodes: exact timelines', () => {
  it('a replica fitting on an existing node skips node provisioning; one on a full pool waits for a new node', () => {
    const { sim, pool, nodes } = nodePool(1);
    // The start: one replica on node 0 (ready, billed from 0), one slot free.
    expect(nodes.counts()).toEqual({ requested: 1, provisioning: 0, ready: 1 });
    const startup = 10_000 + 16_000 + 4000; // pull + load + warm-up
    let onFree = -1;
    let onNew: number[] = [];
    at(sim, 5000, () => {
      onFree = pool.addReplica(startup);
      onNew = [pool.addReplica(startup), pool.addReplica(startup), pool.addReplica(startup)];
    });
    expect(pool.nodeOf(onFree)).toBe(0);
    // Bin-packing: two per node, nodes 1 and 2 requested at 5 s.
    expect(onNew.map((id) => pool.nodeOf(id))).toEqual([1, 1, 2]);
    expect(nodes.counts()).toEqual({ requested: 3, provisioning: 2, ready: 1 });
    sim.run(5000 + startup - 1);
    expect(pool.replicasIn('ready')).toEqual([0]);
    sim.run(5000 + startup);
    expect(pool.replicasIn('ready')).toEqual([0, onFree]);
    sim.run(5000 + 120_000);
    expect(nodes.counts()).toEqual({ requested: 3, provisioning: 0, ready: 3 });
    sim.run(5000 + 120_000 + startup - 1);
    expect(pool.replicasIn('starting')).toEqual(onNew);
    sim.run(5000 + 120_000 + startup); // t + node provisioning + pull/load + warm-up
    expect(pool.replicasIn('ready')).toEqual([0, onFree, ...onNew]);
    // Nodes bill from their request: node 0 from 0, nodes 1 and 2 from 5 s.
    expect(nodes.billedMs(200_000)).toBe(200_000 + 2 * 195_000);
    expect(pool.fleetCostUsd(200_000)).toBeCloseTo((590_000 / 3_600_000) * 6, 12);
  });

  it('tensorParallel 2 on 8-GPU nodes packs 4 replicas per node', () => {
    const { pool, nodes } = nodePool(5, { gpusPerNode: 8 }, { tensorParallel: 2 });
    expect(nodes.replicasPerNode).toBe(4);
    expect([0, 1, 2, 3, 4].map((id) => pool.nodeOf(id))).toEqual([0, 0, 0, 0, 1]);
    expect(nodes.counts()).toEqual({ requested: 2, provisioning: 0, ready: 2 });
  });

  it('at maxNodes a replica waits for a slot, and starts when one frees', () => {
    const { sim, pool, nodes } = nodePool(2, { maxNodes: 1 });
    let waiting = -1;
    at(sim, 1000, () => {
      waiting = pool.addReplica(0);
    });
    expect(pool.nodeOf(waiting)).toBeUndefined();
    expect(nodes.counts().requested).toBe(1);
    sim.run(49_000);
    expect(pool.replicasIn('starting')).toEqual([waiting]);
    at(sim, 50_000, () => pool.removeReplica(1)); // idle: gone at once, its slot goes to the waiting replica
    expect(pool.nodeOf(waiting)).toBe(0);
    sim.run(50_000);
    expect(pool.replicasIn('ready')).toEqual([0, waiting]);
  });

  it('a node empty for the unneeded time (10 min by default) is removed, and bills until then', () => {
    const { sim, pool, nodes } = nodePool(4);
    expect(nodes.counts().ready).toBe(2);
    at(sim, MIN, () => {
      pool.removeReplica(3);
      pool.removeReplica(2); // node 1 empty at 1 min
    });
    sim.run(MIN + 10 * MIN - 1);
    expect(nodes.counts()).toEqual({ requested: 2, provisioning: 0, ready: 2 });
    sim.run(MIN + 10 * MIN);
    expect(nodes.counts()).toEqual({ requested: 1, provisioning: 0, ready: 1 });
    expect(nodes.billedMs(20 * MIN)).toBe(20 * MIN + 11 * MIN);
    // Replica-hours alone would differ: the fleet bills the nodes.
    expect(pool.billedMs(20 * MIN)).toBe(2 * 20 * MIN + 2 * MIN);
    expect(pool.stats(20 * MIN)).toMatchObject({ nodesEver: 2, nodes: 1, nodeHoursBilled: 31 / 60 });
  });

  it('a node that gets a replica again before the unneeded time passes is kept', () => {
    const { sim, pool, nodes } = nodePool(2, { scaleDownUnneededTime: '5m' });
    at(sim, MIN, () => {
      pool.removeReplica(1);
      pool.removeReplica(0); // node 0 empty at 1 min
    });
    let back = -1;
    at(sim, 3 * MIN, () => {
      back = pool.addReplica(1000);
    });
    expect(pool.nodeOf(back)).toBe(0);
    sim.run(20 * MIN);
    expect(nodes.counts().ready).toBe(1);
    expect(pool.replicasIn('ready')).toEqual([back]);
  });

  it('a node requested for a replica removed before it was ready is removed the unneeded time after it is ready', () => {
    const { sim, pool, nodes } = nodePool(2, { scaleDownUnneededTime: '1m' });
    const id = pool.addReplica(1000); // node 1, ready at 120 s
    at(sim, 10_000, () => pool.removeReplica(id));
    sim.run(120_000 + MIN - 1);
    expect(nodes.counts()).toEqual({ requested: 2, provisioning: 0, ready: 2 });
    sim.run(120_000 + MIN);
    expect(nodes.counts().requested).toBe(1);
    expect(nodes.billedMs(300_000)).toBe(300_000 + 180_000);
  });
});

describe('spot reclaims on nodes', () => {
  const reclaim = (at: number, replicas: number, notice: number) => ({
    provider: 'p',
    kind: 'spot-reclaim' as const,
    at,
    replicas,
    notice,
    for: notice,
  });

  it('take the node of the newest ready replica: every replica on it drains with the notice, the node bills until it ends', () => {
    const { sim, sink, pool, provider, nodes } = nodePool(3, {}, { balancer: 'round-robin' });
    scheduleFaults(sim, [reclaim(10_000, 1, 5000)], new Map([['p', provider]]));
    const long = Array.from({ length: 6 }, (_, i) =>
      gpuAttempt({ atMs: 9000 + i, prompt: 200, output: 5000 }),
    );
    submitAll(sim, pool, long);
    sim.run(10_000);
    // Replica 2 is alone on node 1: only it goes.
    expect(pool.replicasIn('draining')).toEqual([2]);
    sim.run(15_000);
    expect(pool.replicasIn('gone')).toEqual([2]);
    expect(nodes.counts().requested).toBe(1);
    sim.run(Number.POSITIVE_INFINITY);
    const cut = long.filter((a) => a.status === 'server_error');
    expect(cut).toHaveLength(2);
    for (const a of cut) expect(sink.of(a).map((r) => r.atMs)).toEqual([15_000]);
    expect(nodes.billedMs(60_000)).toBe(60_000 + 15_000);
  });

  it('on an autoscaled pool, both replicas of the reclaimed node are replaced at notice on a new node', () => {
    const autoscaling = { min: 4, max: 8, target: 100, provisioning: '10s', modelLoad: '16s', warmUp: '4s' };
    const { sim, pool, provider, nodes, config } = nodePool(4, {}, { autoscaling });
    const autoscaler = new PoolAutoscaler(pool, config.autoscaling!, 4, sim, () => 0.5);
    autoscaler.start();
    scheduleFaults(sim, [reclaim(10_000, 1, 30_000)], new Map([['p', provider]]));
    sim.run(10_000);
    expect(pool.replicasIn('draining')).toEqual([2, 3]);
    expect(autoscaler.counts()).toMatchObject({ desired: 4, starting: 2, ready: 2 });
    // The reclaimed node is cordoned: the replacements wait for node 2.
    expect([4, 5].map((id) => pool.nodeOf(id))).toEqual([2, 2]);
    sim.run(40_000);
    expect(nodes.counts()).toEqual({ requested: 2, provisioning: 1, ready: 1 });
    sim.run(10_000 + 120_000 + 30_000);
    expect(pool.replicasIn('ready')).toEqual([0, 1, 4, 5]);
  });
});

function scenario(overrides: Record<string, unknown> = {}): ScenarioInput {
  return {
    name: 'nodes',
    duration: '8m',
    drain: '5m',
    seed: 1,
    metrics: { interval: '30s' },
    providers: [
      {
        name: 'pool',
        kind: 'gpu',
        model: 'llama-3.1-8b',
        gpu: 'h100-80gb',
        replicas: 2,
        autoscaling: {
          min: 2,
          max: 8,
          target: 8,
          syncPeriod: '5s',
          scrapeInterval: '5s',
          provisioning: '5s',
          modelLoad: '10s',
          warmUp: '5s',
          scaleDown: { stabilizationWindow: '20s' },
        },
        nodePool: {
          gpusPerNode: 2,
          costPerNodeHour: 5,
          provisioning: { dist: 'uniform', min: '30s', max: '90s' },
          maxNodes: 3,
          scaleDownUnneededTime: '1m',
        },
        ...overrides,
      },
    ],
    workload: {
      arrivals: {
        rate: '6/s',
        timeline: [{ spike: { at: '1m', multiplier: 3, rampUp: '10s', hold: '2m', rampDown: '10s' } }],
      },
      classes: [
        { name: 'c', promptTokens: 1000, outputTokens: { dist: 'lognormal', median: 200, p99: 1500 } },
      ],
    },
    gateway: { routing: 'least-outstanding' },
    faults: [{ provider: 'pool', kind: 'spot-reclaim', at: '5m', replicas: 1, notice: '30s' }],
  } as ScenarioInput;
}

describe('whole runs on node pools', () => {
  it.each([
    [1, 'pool'],
    [2, 'replicas'],
    [3, 'replicas'],
  ] as const)(
    'seed %i (expose: %s): conservation holds, nodes come and go, the fleet bills node-hours',
    async (seed, expose) => {
      const r = await run(scenario({ expose }), seed);
      const pool = expectConserved(r);
      const d = pool.details!;
      expect(d['nodesEver'] as number).toBeGreaterThan(1);
      expect(d['fleetCostUsd']).toBeCloseTo((d['nodeHoursBilled'] as number) * 5, 9);
      expect(r.cost.fleetUsd).toBeCloseTo(d['fleetCostUsd'] as number, 5);
      const ts = r.timeseries.providers['pool']!;
      const requested = ts.nodesRequested!.filter((v): v is number => v !== null);
      // Nodes were added for the spike (never past maxNodes) and some were removed after it.
      expect(Math.max(...requested)).toBe(3);
      expect(requested.at(-1)!).toBeLessThan(3);
      expect(ts.nodesProvisioning!.some((v) => (v ?? 0) > 0)).toBe(true);
      ts.nodesRequested!.forEach((v, i) => {
        if (v !== null) expect(v).toBe(ts.nodesProvisioning![i]! + ts.nodesReady![i]!);
      });
      // Nodes hold the ready and starting replicas: at most 2 per node.
      ts.replicasReady!.forEach((v, i) => {
        if (v !== null) expect(v).toBeLessThanOrEqual(2 * ts.nodesReady![i]!);
      });
    },
  );

  it('the summary and the HTML report show the nodes beside the replicas', async () => {
    const input = scenario();
    const r = await run(input, 1);
    expect(formatSummary(r)).toMatch(
      /autoscaled pool: peak \d+ replicas, \d+ at the end \(\d+ in all\), on nodes: peak 3, \d at the end \(\d+ in all\), \d+\.\d\d node-hours billed, fleet \$/,
    );
    const charts = timeCharts(r, validateScenario(input)).charts;
    expect(charts.find((c) => c.id === 'nodes')!.series.map((s) => s.label)).toEqual([
      'pool nodes requested',
      'pool nodes provisioning',
      'pool nodes ready',
    ]);
    expect(charts.find((c) => c.id === 'fleet-cost')!.note).toMatch(/node-hours/);
  });

  it('without a node pool the result has no node series, bills replicas, and the report no nodes chart', async () => {
    const input = scenario({ nodePool: undefined, costPerReplicaHour: 2.5 });
    const r = await run(input, 1);
    const ts = r.timeseries.providers['pool']!;
    expect(ts.replicasDesired).toBeDefined();
    expect('nodesRequested' in ts).toBe(false);
    expect('nodesEver' in r.providers['pool']!.details!).toBe(false);
    expect(formatSummary(r)).toMatch(/replica-hours billed/);
    const charts = timeCharts(r, validateScenario(input)).charts;
    expect(charts.some((c) => c.id === 'nodes')).toBe(false);
  });
});

describe('nodePool input', () => {
  const problems = (overrides: Record<string, unknown>) => {
    try {
      validateScenario(scenario(overrides));
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };
  it('is checked with paths: an autoscaler, a replica fits on a node, room for the starting replicas', () => {
    expect(problems({})).toBe('');
    expect(problems({ autoscaling: undefined })).toMatch(
      /providers\[0\]\.nodePool: expected 'autoscaling' with a node pool/,
    );
    expect(problems({ tensorParallel: 4 })).toMatch(
      /providers\[0\]\.nodePool\.gpusPerNode: expected at least tensorParallel \(4\) GPUs per node, so that a replica fits on one, got 2/,
    );
    expect(
      problems({
        replicas: 7,
        nodePool: { gpusPerNode: 2, costPerNodeHour: 5, maxNodes: 3 },
      }),
    ).toMatch(/providers\[0\]\.nodePool\.maxNodes: expected room for the 7 replicas .*raise maxNodes to 4/);
    expect(problems({ nodePool: { gpusPerNode: 2, costPerNodeHour: 5, maxNode: 3 } })).toMatch(
      /unknown key 'maxNode' \(did you mean 'maxNodes'\?\)/,
    );
  });
});
