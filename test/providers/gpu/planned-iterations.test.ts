/**
 * On the virtual clock a replica plans runs of decode-only iterations ahead as one event
 * (replica.ts, `plan`). That must change nothing a run shows: the same pool on a scheduler that is
 * not a Simulation (one event per iteration, as on the wall clock) gives the same reports at the
 * same times, the same gauges whenever read, the same counters, and the same event count.
 */
import { describe, expect, it } from 'vitest';
import type { Scheduler } from '../../../src/engine/clock.ts';
import type { EventHandler, TimerHandle } from '../../../src/engine/heap.ts';
import { Simulation } from '../../../src/engine/simulation.ts';
import type { Attempt } from '../../../src/providers/attempt.ts';
import { GpuPool } from '../../../src/providers/gpu/gpu-pool.ts';
import { resolveGpuSetup } from '../../../src/providers/gpu/setup.ts';
import { SinkLog } from '../harness.ts';
import { type GpuInput, gpuAttempt, gpuConfig } from './gpu-harness.ts';

/** A Simulation that counts the events models schedule. */
class CountingSimulation extends Simulation {
  scheduled = 0;
  override at<T>(timeMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    this.scheduled++;
    return super.at(timeMs, handler, payload);
  }
  override after<T>(delayMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    this.scheduled++;
    return super.after(delayMs, handler, payload);
  }
}

/** The same clock seen through a plain Scheduler: the replica cannot tell it is virtual. */
function opaque(sim: Simulation): Scheduler {
  return {
    now: () => sim.now(),
    at: (t, h, p) => sim.at(t, h, p),
    atEndOfInstant: (h, p) => sim.atEndOfInstant(h, p),
    after: (d, h, p) => sim.after(d, h, p),
    afterDaemon: (d, h, p) => sim.afterDaemon(d, h, p),
    cancel: (h) => sim.cancel(h),
  };
}

/** A small deterministic generator (the test's own, so both runs see the same inputs). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Serves one mixed workload (arrivals in bursts and alone, long outputs, cancellations, a brownout
 * that starts and ends mid-run, gauges read at odd times) and logs everything observable.
 */
function serve(fields: Partial<GpuInput>, planned: boolean) {
  const sim = new CountingSimulation();
  const sink = new SinkLog(sim);
  const pool = new GpuPool(resolveGpuSetup(gpuConfig(fields)), planned ? sim : opaque(sim), sink, () => 0.5);
  const rand = lcg(7);
  const attempts: Attempt[] = [];
  let t = 0;
  for (let i = 0; i < 80; i++) {
    t += rand() < 0.2 ? 0 : rand() * 400; // some arrive together
    const a = gpuAttempt({
      atMs: t,
      prompt: 20 + Math.floor(rand() * 3000),
      output: 1 + Math.floor(rand() * (rand() < 0.3 ? 900 : 120)),
      ...(rand() < 0.4 ? { prefixId: Math.floor(rand() * 3), prefixTokens: 600 } : {}),
    });
    attempts.push(a);
    sim.at(t, () => pool.submit(a), undefined);
    if (rand() < 0.15) sim.at(t + rand() * 3000, () => pool.cancel(a), undefined);
  }
  const log: unknown[] = [];
  for (let g = 0; g < 120; g++) {
    const at = g * 311.7;
    sim.at(
      at,
      () => {
        const watched = attempts[g % attempts.length]!;
        log.push([sim.now(), pool.gauges(), pool.deliveredTokens(watched), pool.utilization(sim.now())]);
      },
      undefined,
    );
  }
  sim.at(
    9000,
    () => {
      pool.faults.latency = 2.5;
      pool.faultsChanged();
    },
    undefined,
  );
  sim.at(
    17000,
    () => {
      pool.faults.latency = 1;
      pool.faultsChanged();
    },
    undefined,
  );
  sim.run(60_000);
  const end = sim.now();
  log.push(pool.gauges(), pool.stats(end), pool.utilization(end), pool.prefixCacheStats());
  const reports = sink.reports.map((r) => [
    attempts.indexOf(r.attempt),
    r.atMs,
    r.attempt.status,
    r.attempt.firstTokenMs,
    r.attempt.outputTokens,
    r.attempt.cachedInputTokens,
  ]);
  return { reports, log, events: sim.events, scheduled: sim.scheduled };
}

describe('GPU replica: decode-only iterations planned ahead', () => {
  for (const [name, fields] of [
    ['roofline timing, chunked prefill', { timing: { model: 'roofline' }, replicas: 2 }],
    ['fitted timing (exact binary times, so many ties)', { replicas: 3, balancer: 'round-robin' }],
    [
      'prefills in 256-token chunks beside decoders, small KV (preemptions)',
      { timing: { model: 'roofline' }, replicas: 2, scheduler: { chunkSize: 256, kvBlocks: 400 } },
    ],
    [
      'prefix cache, small KV (evictions and preemptions), no chunked prefill',
      {
        replicas: 2,
        prefixCache: { enabled: true },
        scheduler: { kvBlocks: 900, chunkedPrefill: false },
      },
    ],
  ] as [string, Partial<GpuInput>][]) {
    it(`${name}: serves exactly as one event per iteration, with fewer events scheduled`, () => {
      const planned = serve(fields, true);
      const each = serve(fields, false);
      expect(planned.reports.length).toBeGreaterThan(40);
      expect(planned.reports).toEqual(each.reports);
      expect(planned.log).toEqual(each.log);
      expect(planned.events).toBe(each.events);
      expect(planned.scheduled).toBeLessThan(each.scheduled);
    });
  }
});
