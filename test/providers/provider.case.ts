/**
 * The provider contract (src/providers/provider.ts), as a reusable suite: every provider kind's
 * test file calls `runProviderContract` with a factory. Random schedules of submissions,
 * cancellations (as a gateway makes them: only while it still waits) and faults are generated
 * with fast-check and the provider must keep these promises:
 *
 * - every submitted attempt reaches the sink at most once, and exactly once unless it was
 *   cancelled while queued at the provider or submitted while a hang fault was in force;
 * - an attempt's status stays 'pending' until it is reported (the gateway cannot see an outcome
 *   before the provider reports it, FG-5);
 * - a reported attempt is never 'pending' (and never 'timeout': only the gateway times out), is
 *   'cancelled' only if it was cancelled, and is reported at its `endMs`, which is >= `startMs`;
 * - an 'ok' attempt has startMs <= firstTokenMs <= endMs and delivered every output token;
 * - when nothing is left to do, nothing is in service or queued and utilization is in [0, 1].
 *
 * And its facets, probed every few milliseconds of a schedule:
 *
 * - `deliveredTokens` is a whole number in [0, the request's output tokens], never goes down,
 *   and from the report on equals the reported `outputTokens`;
 * - `gauges()` is always undefined or always defined, and then agrees with `queued()` and
 *   `inService()`, with KV use in [0, 1];
 * - `replicas`, if present, lists distinct ascending ids it `has`, whose gauges sum to the
 *   provider's, and attempts submitted to a replica keep the whole contract;
 * - a request beyond `contextWindow` is answered 400 (`bad_request`), one that fits is not.
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
  /** Highest `deliveredTokens` seen so far. */
  delivered: number;
}

/** Probe period and horizon (ms): past every submission, cancellation and fault of a schedule. */
const PROBE_EVERY_MS = 45;
const PROBE_UNTIL_MS = 12_000;

/** Checks the facets that read state (deliveredTokens, gauges, replicas) at one moment. */
class FacetProbe {
  private readonly provider: Provider;
  private readonly problems: string[];
  /** Whether `gauges()` answered at the start (it must keep doing so, or keep not). */
  private readonly exposesGauges: boolean;

  constructor(provider: Provider, problems: string[]) {
    this.provider = provider;
    this.problems = problems;
    this.exposesGauges = provider.gauges() !== undefined;
  }

  delivered(t: Tracked, now: number): void {
    const a = t.attempt;
    // What the provider decided about an attempt is its report: none of it shows before (FG-5).
    if (t.reports.length === 0 && !t.cancelled && a.status !== 'pending')
      this.problems.push(`status '${a.status}' visible at ${now} ms, before the attempt was reported`);
    const d = this.provider.deliveredTokens(a, now);
    const max = a.work.outputTokens;
    if (!(Number.isInteger(d) && d >= 0 && d <= max))
      this.problems.push(`deliveredTokens ${d} at ${now} ms outside 0..${max} (status ${a.status})`);
    if (d < t.delivered)
      this.problems.push(
        `deliveredTokens went down from ${t.delivered} to ${d} at ${now} ms (status ${a.status})`,
      );
    if (t.reports.length > 0 && d !== a.outputTokens)
      this.problems.push(
        `deliveredTokens ${d} at ${now} ms after a report of ${a.outputTokens} (${a.status})`,
      );
    t.delivered = Math.max(t.delivered, d);
  }

  gauges(now: number): void {
    const p = this.provider;
    const g = p.gauges();
    if ((g !== undefined) !== this.exposesGauges) this.problems.push(`gauges() changed to ${g} at ${now} ms`);
    if (g !== undefined) {
      if (g.waiting !== p.queued() || g.running !== p.inService())
        this.problems.push(
          `gauges waiting ${g.waiting}, running ${g.running} but queued() ${p.queued()}, inService() ${p.inService()}`,
        );
      if (!(g.kvUsage >= 0 && g.kvUsage <= 1))
        this.problems.push(`gauges kvUsage ${g.kvUsage} outside [0, 1]`);
    }
    const set = p.replicas;
    if (set === undefined) return;
    let waiting = 0;
    let running = 0;
    let last = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < set.count; i++) {
      const id = set.idAt(i);
      if (!(id > last) || !set.has(id)) this.problems.push(`replica id ${id} at position ${i} after ${last}`);
      last = id;
      const r = set.gauges(id);
      waiting += r.waiting;
      running += r.running;
      if (!(r.kvUsage >= 0 && r.kvUsage <= 1)) this.problems.push(`replica ${id} kvUsage ${r.kvUsage}`);
    }
    if (set.has(last + 1) || set.has(-1)) this.problems.push(`replicas has an id it does not list`);
    if (waiting !== p.queued() || running !== p.inService())
      this.problems.push(
        `replica gauges sum to ${waiting} waiting, ${running} running; the provider says ${p.queued()}, ${p.inService()}`,
      );
  }
}

interface ScheduleOptions {
  /** Submit through the `replicas` facet, the i-th submission to the replica at position i % count. */
  viaReplicas?: boolean;
}

/** Runs one schedule to completion and checks every promise of the contract. */
function checkSchedule(
  makeProvider: ProviderFactory,
  ops: readonly SubmitOp[],
  faults: readonly FaultConfig[],
  options: ScheduleOptions = {},
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
      probe.delivered(t, now);
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
  const probe = new FacetProbe(provider, problems);
  const probeAll = () => {
    const now = sim.now();
    for (const t of tracked.values()) probe.delivered(t, now);
    probe.gauges(now);
    if (now < PROBE_UNTIL_MS) sim.after(PROBE_EVERY_MS, probeAll, undefined);
  };
  sim.at(0, probeAll, undefined);
  scheduleFaults(sim, faults, new Map([[provider.name, provider]]));
  const replicas = provider.replicas;
  if (options.viaReplicas && !replicas) problems.push('no replicas to submit to');
  ops.forEach((op, i) => {
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
          delivered: 0,
        };
        tracked.set(a, t);
        if (options.viaReplicas && replicas) replicas.submitTo(replicas.idAt(i % replicas.count), a);
        else provider.submit(a);
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
  });
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

    const sample = makeProvider(new Simulation(), { attemptDone() {} });
    it.runIf(sample.replicas !== undefined)(
      'keeps the contract for attempts submitted to its replicas, through faults',
      () => {
        fc.assert(
          fc.property(
            fc.array(submitArb, { maxLength: 40 }),
            fc.array(faultArb, { maxLength: 4 }),
            (ops, faults) => {
              expect(checkSchedule(makeProvider, ops, faults, { viaReplicas: true })).toEqual([]);
            },
          ),
          { numRuns: 100, seed: 20_240_603 },
        );
      },
    );

    it('answers 400 to a request beyond its context window, and not to one that fits', () => {
      const sim = new Simulation();
      const statuses = new Map<Attempt, string>();
      const provider = makeProvider(sim, { attemptDone: (a) => statuses.set(a, a.status) });
      const window = provider.contextWindow;
      expect(window).toBeGreaterThan(0);
      const output = 10;
      // Infinity: any size fits, so try a very large one.
      const fits = Number.isFinite(window) ? window - output : 10_000_000;
      const within = new Attempt(makeWork({ prompt: fits, output }), undefined, 1, 0, 0);
      const beyond = new Attempt(makeWork({ prompt: fits + 1, output }), undefined, 1, 0, 0);
      provider.submit(within);
      if (Number.isFinite(window)) provider.submit(beyond);
      sim.run(Number.POSITIVE_INFINITY);
      expect(statuses.has(within) && statuses.get(within) !== 'bad_request').toBe(true);
      if (Number.isFinite(window)) expect(statuses.get(beyond)).toBe('bad_request');
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
