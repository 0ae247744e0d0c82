/**
 * Causality (FG-2): no event happens before its cause. The virtual clock never goes back,
 * scheduling into the past is refused, events at the same time run in the order they were
 * scheduled, and in results no request finishes before it starts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LatencySummary } from '../../src/engine/histogram.ts';
import { Simulation } from '../../src/engine/simulation.ts';
import type { RunResult } from '../../src/metrics/result-types.ts';
import { loadScenarioObject } from '../../src/scenario/load.ts';
import { simulate } from '../../src/simulator/simulate.ts';
import { arbitraryScenario } from './arbitrary-scenario.ts';

describe('the virtual clock', () => {
  it('refuses an event scheduled before the current time', () => {
    const sim = new Simulation();
    let error: unknown;
    sim.at(
      100,
      () => {
        try {
          sim.at(99.999, () => {}, undefined);
        } catch (e) {
          error = e;
        }
      },
      undefined,
    );
    sim.run(Number.POSITIVE_INFINITY);
    expect(sim.now()).toBe(100);
    expect(String(error)).toMatch(/event scheduled at 99.999 ms, before the current time 100 ms/);
    expect(sim.pending).toBe(0);
  });

  it('refuses a negative or NaN delay, and a NaN time', () => {
    const sim = new Simulation();
    expect(() => sim.after(-1, () => {}, undefined)).toThrow(/negative or NaN delay/);
    expect(() => sim.after(Number.NaN, () => {}, undefined)).toThrow(/negative or NaN delay/);
    expect(() => sim.at(Number.NaN, () => {}, undefined)).toThrow(/before the current time/);
    expect(sim.pending).toBe(0);
  });

  it('accepts an event at exactly the current time and runs it after the current one', () => {
    const sim = new Simulation();
    const order: string[] = [];
    sim.at(
      5,
      () => {
        order.push('a');
        sim.at(5, () => order.push('c'), undefined);
        sim.after(0, () => order.push('d'), undefined);
      },
      undefined,
    );
    sim.at(5, () => order.push('b'), undefined);
    sim.run(5);
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect(sim.now()).toBe(5);
  });

  it('stops at the horizon with later events still pending, and resumes from there', () => {
    const sim = new Simulation();
    const seen: number[] = [];
    for (const t of [10, 20, 30]) sim.at(t, (x: number) => seen.push(x), t);
    sim.run(25);
    expect(seen).toEqual([10, 20]);
    expect(sim.now()).toBe(25);
    expect(sim.pending).toBe(1);
    sim.run(Number.POSITIVE_INFINITY);
    expect(seen).toEqual([10, 20, 30]);
    expect(sim.now()).toBe(30);
    expect(sim.events).toBe(3);
  });

  it('sees non-decreasing time, and equal times in scheduling order, for any schedule', () => {
    // Each event may schedule children at random delays (0 included, so ties are common). Every
    // event gets a global sequence number when scheduled; handlers must see (time, seq) increase.
    const delays = fc.array(fc.constantFrom(0, 0, 0, 1, 2.5, 7), { maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), delays), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 40 }),
        (roots, horizon) => {
          const sim = new Simulation();
          let seq = 0;
          let scheduled = 0;
          const dispatched: { time: number; seq: number; due: number }[] = [];
          const handler = (p: { seq: number; due: number; children: number[] }) => {
            dispatched.push({ time: sim.now(), seq: p.seq, due: p.due });
            // Grandchildren: fewer each generation, so the schedule ends.
            const next = p.children.slice(1);
            for (const d of p.children) {
              scheduled++;
              sim.after(d, handler, { seq: seq++, due: sim.now() + d, children: next });
            }
          };
          for (const [t, children] of roots) {
            scheduled++;
            sim.at(t, handler, { seq: seq++, due: t, children });
          }
          sim.run(horizon);
          for (let i = 0; i < dispatched.length; i++) {
            const e = dispatched[i]!;
            expect(e.time).toBe(e.due);
            expect(e.time).toBeLessThanOrEqual(horizon);
            if (i > 0) {
              const prev = dispatched[i - 1]!;
              expect(e.time).toBeGreaterThanOrEqual(prev.time);
              if (e.time === prev.time) expect(e.seq).toBeGreaterThan(prev.seq);
            }
          }
          // Everything due by the horizon ran; the rest is still pending.
          expect(dispatched.length + sim.pending).toBe(scheduled);
          sim.run(Number.POSITIVE_INFINITY);
          expect(sim.pending).toBe(0);
          expect(sim.events).toBe(scheduled);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Per-summary ordering of a histogram that is never below another, quantile by quantile. */
function expectDominates(hi: LatencySummary, lo: LatencySummary, what: string): void {
  expect(hi.count, what).toBe(lo.count);
  if (hi.count === 0) return;
  for (const k of ['min', 'p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'] as const) {
    // Means are rounded to 4 decimals independently.
    expect(hi[k]!, `${what}.${k}`).toBeGreaterThanOrEqual(lo[k]! - (k === 'mean' ? 1e-4 : 0));
  }
}

function checkCausality(r: RunResult): void {
  for (const [name, c] of [['all', r] as const, ...Object.entries(r.classes)]) {
    const l = c.latency;
    if (l.ttft.count === 0) continue;
    expect(l.queueWait.min!, `${name}: queueWait.min >= 0`).toBeGreaterThanOrEqual(0);
    expect(l.ttft.min!, `${name}: ttft.min >= 0`).toBeGreaterThanOrEqual(0);
    // Per request: e2e >= ttft >= queue wait, so each distribution dominates the next.
    expectDominates(l.e2e, l.ttft, `${name}: e2e over ttft`);
    expectDominates(l.ttft, l.queueWait, `${name}: ttft over queueWait`);
    if (l.tpot.count > 0) expect(l.tpot.min!, `${name}: tpot.min >= 0`).toBeGreaterThanOrEqual(0);
    if (l.itl.count > 0) expect(l.itl.min!, `${name}: itl.min > 0`).toBeGreaterThan(0);
  }
  for (const [name, p] of Object.entries(r.providers)) {
    for (const k of ['queueWait', 'serviceTime', 'ttft'] as const)
      if (p[k].count > 0) expect(p[k].min!, `${name}.${k}.min >= 0`).toBeGreaterThanOrEqual(0);
  }
  expect(r.endMs).toBeGreaterThanOrEqual(r.durationMs);
}

describe('results', () => {
  it('never show a request finishing before its first token, or waiting a negative time', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraryScenario(), fc.integer({ min: 1, max: 1_000_000 }), async (s, seed) => {
        checkCausality(await simulate(await loadScenarioObject(s), { seed }));
      }),
      { numRuns: 60 },
    );
  });

  it('put the first token of a queue server at the end of service, after the wait', async () => {
    const r = await simulate(
      await loadScenarioObject({
        name: 'queue-causality',
        duration: '5m',
        providers: [
          { name: 'q', kind: 'queue', servers: 2, service: { dist: 'exponential', mean: '300ms' } },
        ],
        workload: { classes: [{ name: 'c' }], arrivals: { process: 'poisson', rate: '5/s' } },
      }),
      { seed: 4 },
    );
    checkCausality(r);
    // A queue server answers whole: TTFT is the response time, and it exceeds the wait.
    expect(r.latency.ttft).toEqual(r.latency.e2e);
    expect(r.latency.ttft.mean! - r.latency.queueWait.mean!).toBeCloseTo(
      r.providers['q']!.serviceTime.mean!,
      2,
    );
  });
});
