/**
 * The provider contract (src/providers/provider.ts), as a reusable suite: every provider kind's
 * test file calls `runProviderContract` with a factory. Random schedules of submissions,
 * cancellations (as a gateway makes them: only while it still waits) and faults are generated
 * with fast-check and the provider must keep these promises:
 *
 * - every submitted attempt reaches the sink at most once, and exactly once unless it was
 *   cancelled while queued at the provider or submitted while a hang fault was in force;
 * - a reported attempt is never 'pending' (and never 'timeout': only the gateway times out), is
 *   'cancelled' only if it was cancelled, and is reported at its `endMs`, which is >= `startMs`;
 * - an 'ok' attempt has startMs <= firstTokenMs <= endMs and delivered every output token;
 * - when nothing is left to do, nothing is in service or queued and utilization is in [0, 1].
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Scheduler } from '../../src/engine/clock.ts';
import { Simulation } from '../../src/engine/simulation.ts';
import { Attempt } from '../../src/providers/attempt.ts';
import { scheduleFaults } from '../../src/providers/faults/fault-timeline.ts';
import type { AttemptSink, Provider } from '../../src/providers/provider.ts';
import type { FaultConfig } from '../../src/scenario/schema.ts';
import { makeWork } from './harness.ts';

/** Builds a fresh provider (named `p`) reporting to `sink`, scheduling on `scheduler`. */
export type ProviderFactory = (scheduler: Scheduler, sink: AttemptSink) => Provider;

const PROVIDER_STATUSES = new Set([
  'ok',
  'rate_limited',
  'server_error',
  'overloaded',
  'bad_request',
  'stream_cut',
  'cancelled',
]);

interface SubmitOp {
  at: number;
  prompt: number;
  output: number;
  /** The caller gives up this long after submitting, if it has no answer by then. */
  cancelAfter: number | undefined;
}

const submitArb: fc.Arbitrary<SubmitOp> = fc.record({
  at: fc.integer({ min: 0, max: 4000 }),
  prompt: fc.integer({ min: 1, max: 3000 }),
  output: fc.integer({ min: 1, max: 300 }),
  cancelAfter: fc.option(fc.integer({ min: 0, max: 3000 }), { nil: undefined }),
});

const faultArb: fc.Arbitrary<FaultConfig> = fc
  .record({
    at: fc.integer({ min: 0, max: 4000 }),
    for: fc.integer({ min: 1, max: 3000 }),
    kind: fc.constantFrom('outage', 'hang', 'brownout', 'stream-cut', 'capacity-loss', 'rate-limit-storm'),
    value: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ at, for: span, kind, value }): FaultConfig => {
    const w = { provider: 'p', at, for: span };
    switch (kind) {
      case 'outage':
        return { ...w, kind };
      case 'hang':
        return { ...w, kind };
      case 'brownout':
        return { ...w, kind, latency: 1 + 4 * value, errorRate: value / 2 };
      case 'stream-cut':
        return { ...w, kind, afterTokens: Math.floor(value * 50), probability: 0.5 + value / 2 };
      case 'capacity-loss':
        return { ...w, kind, fraction: value };
      default:
        return { ...w, kind: 'rate-limit-storm', limitFactor: Math.max(0.01, value) };
    }
  });

interface Tracked {
  attempt: Attempt;
  hung: boolean;
  cancelled: boolean;
  cancelledWhileQueued: boolean;
  reports: number[];
}

/** Runs one schedule to completion and checks every promise of the contract. */
function checkSchedule(
  makeProvider: ProviderFactory,
  ops: readonly SubmitOp[],
  faults: readonly FaultConfig[],
) {
  const sim = new Simulation();
  const tracked = new Map<Attempt, Tracked>();
  const problems: string[] = [];
  const sink: AttemptSink = {
    attemptDone(a) {
      const t = tracked.get(a);
      const now = sim.now();
      if (!t) {
        problems.push(`reported an attempt that was never submitted (status ${a.status})`);
        return;
      }
      t.reports.push(now);
      if (!PROVIDER_STATUSES.has(a.status)) problems.push(`reported with status '${a.status}'`);
      if (a.status === 'cancelled' && !t.cancelled)
        problems.push('reported cancelled but was never cancelled');
      if (!(a.endMs >= a.startMs)) problems.push(`endMs ${a.endMs} < startMs ${a.startMs}`);
      if (a.endMs !== now) problems.push(`reported at ${now} ms but endMs is ${a.endMs}`);
      if (a.status === 'ok') {
        if (!(a.firstTokenMs >= a.startMs && a.firstTokenMs <= a.endMs))
          problems.push(`ok with firstTokenMs ${a.firstTokenMs} outside [${a.startMs}, ${a.endMs}]`);
        if (a.outputTokens !== a.work.outputTokens)
          problems.push(`ok with ${a.outputTokens} of ${a.work.outputTokens} output tokens`);
      }
    },
  };
  const provider = makeProvider(sim, sink);
  scheduleFaults(sim, faults, new Map([[provider.name, provider]]));
  for (const op of ops) {
    sim.at(
      op.at,
      () => {
        const a = new Attempt(
          makeWork({ atMs: op.at, prompt: op.prompt, output: op.output }),
          undefined,
          1,
          0,
          op.at,
        );
        const t: Tracked = {
          attempt: a,
          hung: provider.faults.hang,
          cancelled: false,
          cancelledWhileQueued: false,
          reports: [],
        };
        tracked.set(a, t);
        provider.submit(a);
        if (op.cancelAfter !== undefined) {
          sim.after(
            op.cancelAfter,
            () => {
              if (t.reports.length > 0) return; // a gateway only cancels what it still waits for
              t.cancelled = true;
              t.cancelledWhileQueued = a.queuedAtProvider;
              a.abandoned = true;
              provider.cancel(a);
            },
            undefined,
          );
        }
      },
      undefined,
    );
  }
  sim.run(Number.POSITIVE_INFINITY);

  for (const t of tracked.values()) {
    const n = t.reports.length;
    if (n > 1) problems.push(`attempt reported ${n} times (status ${t.attempt.status})`);
    if (n === 0 && !t.hung && !t.cancelledWhileQueued)
      problems.push(
        `attempt submitted at ${t.attempt.startMs} ms never reported (status ${t.attempt.status}, cancelled ${t.cancelled})`,
      );
  }
  if (provider.inService() !== 0) problems.push(`${provider.inService()} still in service at the end`);
  if (provider.queued() !== 0) problems.push(`${provider.queued()} still queued at the end`);
  const u = provider.utilization(sim.now());
  if (!(u >= 0 && u <= 1 + 1e-12)) problems.push(`utilization ${u} outside [0, 1]`);
  return problems;
}

/** Registers the contract suite for one provider factory. */
export function runProviderContract(name: string, makeProvider: ProviderFactory): void {
  describe(`${name} keeps the provider contract`, () => {
    it('reports every attempt exactly once, at its end, never pending, without faults', () => {
      fc.assert(
        fc.property(fc.array(submitArb, { maxLength: 40 }), (ops) => {
          expect(checkSchedule(makeProvider, ops, [])).toEqual([]);
        }),
        { numRuns: 150, seed: 20_240_601 },
      );
    });

    it('keeps the contract through overlapping faults of every kind', () => {
      fc.assert(
        fc.property(
          fc.array(submitArb, { maxLength: 40 }),
          fc.array(faultArb, { maxLength: 4 }),
          (ops, faults) => {
            expect(checkSchedule(makeProvider, ops, faults)).toEqual([]);
          },
        ),
        { numRuns: 200, seed: 20_240_602 },
      );
    });

    it('reports the same attempt once even when it is cancelled right after submission', () => {
      const ops: SubmitOp[] = Array.from({ length: 12 }, (_, i) => ({
        at: 0,
        prompt: 100,
        output: 50,
        cancelAfter: i % 2 === 0 ? 0 : undefined,
      }));
      expect(checkSchedule(makeProvider, ops, [])).toEqual([]);
    });
  });
}
