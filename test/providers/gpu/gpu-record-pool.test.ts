/**
 * GPU pools forget the attempts they report (Provider.forgetsReported), so the gateway's record
 * pool reuses them, and a pool reuses a finished sequence once its attempt is reused: whole runs of every bundled GPU scenario are the same, byte for byte, with
 * the pool and without; and the cold-start hold's expiry timer, which outlives an attempt that
 * left the hold, no longer points at it (a reused attempt held again waits its whole time).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Simulation } from '../../../src/engine/simulation.ts';
import { Attempt } from '../../../src/providers/attempt.ts';
import { FastAnswers } from '../../../src/providers/fast-answer.ts';
import { ColdStartHold } from '../../../src/providers/gpu/cold-start-hold.ts';
import { Sequence } from '../../../src/providers/gpu/replica.ts';
import { loadScenarioFile } from '../../../src/scenario/load.ts';
import { parseOverride } from '../../../src/scenario/overrides.ts';
import { simulate } from '../../../src/simulator/simulate.ts';
import { makeWork, SinkLog } from '../harness.ts';

describe('a reused sequence is a fresh one', () => {
  it('Sequence.reset sets every field as the constructor does', () => {
    const old = new Sequence(new Attempt(makeWork({ prompt: 7 }), undefined, 1, 0, 0), 3, true, 2);
    for (const key of Object.keys(old)) (old as unknown as Record<string, unknown>)[key] = Symbol('stale');
    const a = new Attempt(makeWork({ prompt: 300, output: 40 }), undefined, 1, 0, 0);
    const reused = old.reset(a, 25, false, 5);
    expect(reused).toBe(old);
    expect({ ...reused }).toEqual({ ...new Sequence(a, 25, false, 5) });
  });
});

describe('the cold-start hold lets go of an attempt that leaves it', () => {
  it('an attempt released, then held again, waits its whole time from the second hold', () => {
    const sim = new Simulation();
    const sink = new SinkLog(sim);
    const hold = new ColdStartHold(sim, new FastAnswers(sim, sink), 1000);
    const a = new Attempt(makeWork(), undefined, 1, 0, 0);
    const released: Attempt[] = [];
    sim.at(0, () => hold.add(a), undefined);
    sim.at(100, () => hold.release((x) => released.push(x)), undefined);
    // The same record again (as the gateway's record pool reuses a reported attempt).
    sim.at(500, () => hold.add(a), undefined);
    sim.run(1200);
    expect(released).toEqual([a]);
    expect(hold.size).toBe(1); // the first hold's timer (at 1000 ms) expired nothing
    expect(sink.reports).toHaveLength(0);
    sim.run(Number.POSITIVE_INFINITY);
    expect(sink.reports.map((r) => [r.attempt, r.atMs, r.attempt.status])).toEqual([
      [a, 1500, 'server_error'],
    ]);
  });

  it('a cancelled attempt is not expired by its old timer once held again', () => {
    const sim = new Simulation();
    const sink = new SinkLog(sim);
    const hold = new ColdStartHold(sim, new FastAnswers(sim, sink), 1000);
    const a = new Attempt(makeWork(), undefined, 1, 0, 0);
    sim.at(0, () => hold.add(a), undefined);
    sim.at(100, () => hold.cancel(a), undefined);
    sim.at(
      200,
      () => {
        a.status = 'pending';
        hold.add(a);
      },
      undefined,
    );
    sim.run(Number.POSITIVE_INFINITY);
    expect(sink.reports.map((r) => r.atMs)).toEqual([1200]);
  });
});

/** Results with the record pool and without must be identical, byte for byte. */
async function same(file: string, sets: string[]): Promise<void> {
  const loaded = await loadScenarioFile(resolve(file), { overrides: sets.map(parseOverride) });
  const pooled = await simulate(loaded, { recycle: true });
  const fresh = await simulate(loaded, { recycle: false });
  expect(JSON.stringify(pooled)).toBe(JSON.stringify(fresh));
}

describe('a GPU run is the same with the record pool and without', () => {
  const runs: [string, string[]][] = [
    ['scenarios/gpu-pool.yaml', []],
    ['scenarios/tab-spike.yaml', ['duration=3m']],
    ['scenarios/editor-mix.yaml', ['duration=3m']],
    ['scenarios/cursor-day.yaml', ['duration=20m']],
    ['scenarios/autoscale-spike.yaml', []],
    ['scenarios/autoscale-day.yaml', ['duration=30m']],
    ['scenarios/disagg-short-context.yaml', ['duration=3m']],
    ['scenarios/disagg-long-context.yaml', ['duration=3m']],
    ['scenarios/outage-failover.yaml', []],
    ['scenarios/stale-metrics.yaml', ['duration=5m']],
    ['bench/scenarios/gpu-16x8b.yaml', ['duration=2m']],
  ];
  for (const [file, sets] of runs) {
    it(file, async () => {
      await same(file, sets);
    }, 120_000);
  }
});
