import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import peakEwma from '../../policies/peak-ewma.ts';
import type { TargetView } from '../../src/gateway/policy.ts';
import {
  FIRST_ATTEMPT,
  fakeContext,
  makeOutcome,
  makeRequest,
  makeTarget,
  runPolicyContract,
} from '../../src/testing/policy-contract.case.ts';

runPolicyContract(peakEwma);
runPolicyContract(peakEwma, { buffer: 0.2, sample: 'latency', decayMs: 2000 });

type Params = Parameters<typeof peakEwma.create>[0];
const params = (over: Partial<Params> = {}): Params => peakEwma.params!.parse(over);

function setup(over: Partial<Params> = {}, seed?: string) {
  const { ctx, advance } = fakeContext(seed);
  const policy = peakEwma.create(params(over), ctx);
  const pick = (targets: TargetView[]) =>
    (policy.route(makeRequest(), targets, FIRST_ATTEMPT) as TargetView).index;
  const ttft = (t: TargetView, ms: number) =>
    policy.onOutcome!(makeOutcome(t, { ttftMs: ms, latencyMs: 10 * ms }));
  return { policy, advance, pick, ttft };
}

/** Routes between `a` (whose history `history` builds) and a fresh `b` whose one sample is `v`. */
function versus(history: (s: ReturnType<typeof setup>, a: TargetView) => void, v: number, bInFlight = 0) {
  const s = setup();
  const a = makeTarget(0);
  const b = makeTarget(1, { inFlight: bInFlight });
  history(s, a);
  s.ttft(makeTarget(1), v); // first sample: the estimate jumps to it
  return s.pick([a, b]);
}

describe('peak-ewma', () => {
  it('costs ewma x (inFlight + 1) and picks the lowest', () => {
    const { pick, ttft } = setup();
    ttft(makeTarget(0), 100);
    ttft(makeTarget(1), 50);
    expect(pick([makeTarget(0), makeTarget(1)])).toBe(1); // 100 vs 50
    expect(pick([makeTarget(0), makeTarget(1, { inFlight: 1 })])).toBe(0); // 100 vs 100: tie to first
    expect(pick([makeTarget(0), makeTarget(1, { inFlight: 2 })])).toBe(0); // 100 vs 150
    expect(pick([makeTarget(0, { inFlight: 1 }), makeTarget(1, { inFlight: 2 })])).toBe(1); // 200 vs 150
  });

  it('decays toward 0 with time constant decayMs: 100 becomes 100/e = 36.788 after 10 s', () => {
    const decayed = (s: ReturnType<typeof setup>, a: TargetView) => {
      s.ttft(a, 100);
      s.advance(10_000);
    };
    expect(versus(decayed, 36.78)).toBe(1);
    expect(versus(decayed, 36.8)).toBe(0);
  });

  it('blends a lower sample with weight 1 - exp(-dt / decay): 100/e + 20 (1 - 1/e) = 49.430', () => {
    const blended = (s: ReturnType<typeof setup>, a: TargetView) => {
      s.ttft(a, 100);
      s.advance(10_000);
      s.ttft(a, 20);
    };
    expect(versus(blended, 49.42)).toBe(1);
    expect(versus(blended, 49.44)).toBe(0);
    // A sample at the same instant has weight 0: 100 stays 100.
    const same = (s: ReturnType<typeof setup>, a: TargetView) => {
      s.ttft(a, 100);
      s.ttft(a, 1);
    };
    expect(versus(same, 99.99)).toBe(1);
    expect(versus(same, 100.01)).toBe(0);
  });

  it('jumps to a sample above the current estimate (the peak)', () => {
    const peak = (s: ReturnType<typeof setup>, a: TargetView) => {
      s.ttft(a, 50);
      s.advance(1000);
      s.ttft(a, 400);
    };
    expect(versus(peak, 399)).toBe(1);
    expect(versus(peak, 401)).toBe(0);
    // ...and the in-flight multiplier applies to the peak: 400 x 1 vs 199 x 2 = 398, 201 x 2 = 402.
    expect(versus(peak, 199, 1)).toBe(1);
    expect(versus(peak, 201, 1)).toBe(0);
  });

  it('probes unmeasured targets once: cost 0 when idle, a huge penalty when busy', () => {
    const { pick, ttft } = setup();
    ttft(makeTarget(0), 1e6);
    expect(pick([makeTarget(0), makeTarget(1)])).toBe(1); // unmeasured and idle: cost 0
    expect(pick([makeTarget(0, { inFlight: 3 }), makeTarget(1, { inFlight: 1 })])).toBe(0); // 4e6 < penalty
    expect(pick([makeTarget(2, { inFlight: 2 }), makeTarget(3, { inFlight: 1 })])).toBe(3); // penalty + 1 < + 2
  });

  it('samples TTFT by default, whole latency with sample: latency, latency for failures without a token', () => {
    const byTtft = setup();
    const byLatency = setup({ sample: 'latency' });
    for (const s of [byTtft, byLatency]) {
      s.policy.onOutcome!(makeOutcome(makeTarget(0), { ttftMs: 50, latencyMs: 1000 }));
      s.policy.onOutcome!(makeOutcome(makeTarget(1), { ttftMs: 300, latencyMs: 400 }));
    }
    expect(byTtft.pick([makeTarget(0), makeTarget(1)])).toBe(0); // 50 vs 300
    expect(byLatency.pick([makeTarget(0), makeTarget(1)])).toBe(1); // 1000 vs 400
    const failing = setup();
    failing.ttft(makeTarget(0), 200);
    failing.policy.onOutcome!(
      makeOutcome(makeTarget(1), { status: 'timeout', ttftMs: Number.NaN, latencyMs: 30_000 }),
    );
    failing.policy.onOutcome!(
      makeOutcome(makeTarget(0), { status: 'cancelled', ttftMs: Number.NaN, latencyMs: 1e9 }),
    );
    expect(failing.pick([makeTarget(0), makeTarget(1)])).toBe(0); // 200 (cancel ignored) vs 30000
  });

  it('with buffer, picks uniformly among targets within (1 + buffer) x the lowest cost', () => {
    const { pick, ttft } = setup({ buffer: 0.1 }, 'buf');
    ttft(makeTarget(0), 100);
    ttft(makeTarget(1), 110); // 110 <= 1.1 x 100: in
    ttft(makeTarget(2), 111); // out
    const targets = [0, 1, 2].map((i) => makeTarget(i));
    const u = seedrandom.alea('buf');
    const counts = [0, 0, 0];
    for (let r = 0; r < 2000; r++) {
      const expected = Math.floor(u() * 2); // k-th of the 2 candidates, in list order
      const got = pick(targets);
      expect(got).toBe(expected);
      counts[got]!++;
    }
    expect(counts[2]).toBe(0);
    // Without a buffer, the lowest only.
    const strict = setup();
    strict.ttft(makeTarget(0), 100);
    strict.ttft(makeTarget(1), 100.5);
    for (let r = 0; r < 20; r++) expect(strict.pick([makeTarget(0), makeTarget(1)])).toBe(0);
  });
});
