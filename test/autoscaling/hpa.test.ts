/**
 * The HPA arithmetic (src/providers/gpu/hpa.ts) against the examples of the Kubernetes docs
 * (https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/, "Algorithm
 * details" and "Configurable scaling behavior"; the v1.33 configurable-tolerance post,
 * https://kubernetes.io/blog/2025/04/28/kubernetes-v1-33-hpa-configurable-tolerance/) and the
 * controller's source (pkg/controller/podautoscaler: replica_calculator.go, horizontal.go).
 */
import { describe, expect, it } from 'vitest';
import {
  normalize,
  replicasForMetric,
  type ScaleEvent,
  type ScalingRules,
  scaleDownLimit,
  scaleUpLimit,
  stabilize,
} from '../../src/providers/gpu/hpa.ts';
import { validateScenario } from '../../src/scenario/load.ts';
import type { GpuProviderConfig } from '../../src/scenario/schema.ts';
import { gpuInput } from '../providers/gpu/gpu-harness.ts';

const same = (n: number, v: number) => Array.from({ length: n }, () => v);

/** HPA's default behavior (autoscaling/v2 defaults). */
const defaultUp: ScalingRules = {
  stabilizationWindowMs: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'pods', value: 4, periodMs: 15_000 },
    { type: 'percent', value: 100, periodMs: 15_000 },
  ],
};
const defaultDown: ScalingRules = {
  stabilizationWindowMs: 300_000,
  selectPolicy: 'Max',
  policies: [{ type: 'percent', value: 100, periodMs: 15_000 }],
};

describe('desired = ceil(current x metric / target), within the tolerance no change', () => {
  it('doubles at 200m over a 100m target and halves at 50m (docs, algorithm details)', () => {
    expect(replicasForMetric(4, same(4, 200), 0, 100, 0.1)).toBe(8);
    expect(replicasForMetric(4, same(4, 50), 0, 100, 0.1)).toBe(2);
  });

  it('50 replicas at 90 over a 75 target scale to 60 (the configurable-tolerance post)', () => {
    expect(replicasForMetric(50, same(50, 90), 0, 75, 0.1)).toBe(60);
  });

  it('skips scaling when the ratio is within the tolerance (0.1 by default), scales just past it', () => {
    expect(replicasForMetric(10, same(10, 109), 0, 100, 0.1)).toBe(10);
    expect(replicasForMetric(10, same(10, 91), 0, 100, 0.1)).toBe(10);
    expect(replicasForMetric(10, same(10, 111), 0, 100, 0.1)).toBe(12); // ceil(11.1)
    // A tolerance of 0 scales on any difference.
    expect(replicasForMetric(10, same(10, 101), 0, 100, 0)).toBe(11);
  });

  it('averages per replica: uneven replicas ask for what their mean asks for', () => {
    expect(replicasForMetric(3, [10, 50, 60], 0, 20, 0.1)).toBe(6); // mean 40 / 20 x 3
  });

  it('replicas without a metric yet count as idle when scaling up and at target when scaling down', () => {
    // 2 ready at 40 over target 20 (ratio 2), 2 starting: (80 + 0) / 4 / 20 = 1 -> within tolerance.
    expect(replicasForMetric(4, [40, 40], 2, 20, 0.1)).toBe(4);
    // 2 ready at 60 (ratio 3), 2 starting: 120 / 4 / 20 = 1.5 -> ceil(1.5 x 4) = 6.
    expect(replicasForMetric(4, [60, 60], 2, 20, 0.1)).toBe(6);
    // 2 ready at 5 (ratio 0.25), 2 starting at target: (10 + 40) / 4 / 20 = 0.625 -> ceil(2.5) = 3.
    expect(replicasForMetric(4, [5, 5], 2, 20, 0.1)).toBe(3);
  });

  it('keeps the scale when no replica reports a metric', () => {
    expect(replicasForMetric(3, [], 3, 20, 0.1)).toBe(3);
  });
});

describe('stabilization', () => {
  it('scales down to the highest recommendation within the 300 s window', () => {
    const history = [
      { atMs: 0, replicas: 10 },
      { atMs: 100_000, replicas: 8 },
      { atMs: 200_000, replicas: 6 },
    ];
    expect(stabilize(10, 5, history, 250_000, defaultUp, defaultDown)).toBe(10);
    // At 300 s the recommendation of t = 0 has left the window: the highest left is 8.
    expect(stabilize(10, 5, history, 300_000, defaultUp, defaultDown)).toBe(8);
    expect(stabilize(10, 5, history, 500_001, defaultUp, defaultDown)).toBe(5);
  });

  it('scales up at once with no scale-up window, and to the lowest recommendation within one', () => {
    const history = [{ atMs: 0, replicas: 4 }];
    expect(stabilize(2, 9, history, 10_000, defaultUp, defaultDown)).toBe(9);
    const slowUp = { ...defaultUp, stabilizationWindowMs: 60_000 };
    expect(stabilize(2, 9, history, 10_000, slowUp, defaultDown)).toBe(4);
  });
});

describe('behavior policies limit the rate', () => {
  it('default scale-up: the larger of 4 pods and 100% per 15 s', () => {
    expect(scaleUpLimit(1, [], 0, defaultUp)).toBe(5); // max(1 + 4, 2)
    expect(scaleUpLimit(10, [], 0, defaultUp)).toBe(20); // max(14, 20)
    // From 1 toward 20 replicas: 5, then 10, then 20, one step per 15 s period.
    const events: ScaleEvent[] = [];
    let current = 1;
    const steps: number[] = [];
    for (let t = 0; t <= 45_000; t += 15_000) {
      const next = normalize(current, 20, events, t, { min: 1, max: 100, up: defaultUp, down: defaultDown });
      if (next !== current) events.push({ atMs: t, change: next - current });
      current = next;
      steps.push(current);
    }
    expect(steps).toEqual([5, 10, 20, 20]);
  });

  it('the docs example: 4 pods or 10% per 60 s, scaling 80 down to 10 removes 8, then 8 (7.2 rounded up)', () => {
    const down: ScalingRules = {
      stabilizationWindowMs: 0,
      selectPolicy: 'Max',
      policies: [
        { type: 'pods', value: 4, periodMs: 60_000 },
        { type: 'percent', value: 10, periodMs: 60_000 },
      ],
    };
    const bounds = { min: 1, max: 100, up: defaultUp, down };
    const events: ScaleEvent[] = [];
    expect(normalize(80, 10, events, 0, bounds)).toBe(72);
    events.push({ atMs: 0, change: -8 });
    // Within the same minute the 8 already removed use up the allowance.
    expect(normalize(72, 10, events, 30_000, bounds)).toBe(72);
    expect(normalize(72, 10, events, 60_000, bounds)).toBe(64);
    // At 40 replicas or fewer the pods policy allows more: 4 pods rather than 10% of 30.
    expect(scaleDownLimit(30, [], 0, down)).toBe(26);
  });

  it('selectPolicy Min picks the smallest change, Disabled none', () => {
    expect(scaleUpLimit(10, [], 0, { ...defaultUp, selectPolicy: 'Min' })).toBe(14);
    expect(
      normalize(10, 30, [], 0, {
        min: 1,
        max: 100,
        up: { ...defaultUp, selectPolicy: 'Disabled' },
        down: defaultDown,
      }),
    ).toBe(10);
  });

  it('clamps to min and max replicas', () => {
    expect(normalize(8, 40, [], 0, { min: 2, max: 10, up: defaultUp, down: defaultDown })).toBe(10);
    expect(normalize(3, 1, [], 0, { min: 2, max: 10, up: defaultUp, down: defaultDown })).toBe(2);
  });
});

describe('the autoscaling section', () => {
  const config = (autoscaling: object, extra: object = {}) =>
    validateScenario({
      name: 'x',
      duration: '1m',
      providers: [gpuInput({ replicas: 2, autoscaling, ...extra } as never)],
      workload: { arrivals: { rate: 1 }, classes: [{ name: 'c' }] },
    }).providers[0] as GpuProviderConfig;

  it("fills in Kubernetes's defaults", () => {
    const a = config({ min: 1, max: 4, target: 10 }).autoscaling!;
    expect(a.tolerance).toBe(0.1);
    expect(a.syncPeriod).toBe(15_000);
    expect(a.scaleUp.stabilizationWindow).toBe(0);
    expect(a.scaleUp.policies).toEqual([
      { type: 'pods', value: 4, period: 15_000 },
      { type: 'percent', value: 100, period: 15_000 },
    ]);
    expect(a.scaleDown.stabilizationWindow).toBe(300_000);
    expect(a.scaleDown.policies).toEqual([{ type: 'percent', value: 100, period: 15_000 }]);
  });

  it('refuses bounds out of order, and scale to zero behind replicas exposed as targets', () => {
    expect(() => config({ min: 3, max: 1, target: 10 })).toThrow(/expected max >= min/);
    expect(config({ min: 1, max: 4, target: 10 }, { expose: 'replicas' }).autoscaling!.min).toBe(1);
    expect(() => config({ kind: 'keda', min: 0, max: 4, target: 10 }, { expose: 'replicas' })).toThrow(
      /expected min >= 1 with 'expose: replicas'/,
    );
    expect(() => config({ min: 1, max: 4, target: 0 })).toThrow(/target/);
  });
});
