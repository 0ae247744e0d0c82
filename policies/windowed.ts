/**
 * windowed: an adaptive limit (`vegas`, `gradient`, `gradient2` or `aimd`) fed one sample per window instead
 * of one per attempt. Each attempt outcome (RTT r >= minRttThreshold, in-flight n) joins the
 * current window; when an attempt ends after the window's end, the window closes: the next one
 * ends at that attempt's end + clamp(2 x the window's min RTT, minWindowTime, maxWindowTime), and
 * if the closed window holds >= windowSize samples the inner limit gets one sample: the window's
 * tracked RTT (`average`: the mean; `{ percentile, size }`: that percentile of its first `size`
 * samples), its largest n, and whether any attempt dropped. Windows are timed by attempts' ends. The first window, ending at time 0,
 * closes on the first attempt. Admits while in-flight < the inner limit; over it sheds
 * (`reject('over-limit')`) or queues (`queue`).
 *
 * Source: Netflix concurrency-limits `WindowedLimit` with `AverageSampleWindowFactory` /
 * `PercentileSampleWindowFactory` (`ImmutableAverageSampleWindow`,
 * `ImmutablePercentileSampleWindow`), as of commit 78a74b9 (2026-01); RTTs in integer ns as
 * Netflix measures them (the average is floored there).
 * Defaults (Netflix's): minWindowTime 1000 ms, maxWindowTime 1000 ms (each >= 100), windowSize 10
 * (>= 10), minRttThreshold 0.1 ms, sampleWindow average; `limit` is required (Netflix's
 * `build(delegate)`): `{ policy: vegas | gradient | gradient2 | aimd, params }` with that limit's own
 * parameters and defaults; `rtt: latency`, `queue: false`.
 * Departures: a percentile below one sample (round(count x p) = 0) takes the smallest sample
 * where Netflix throws; opt-in `rtt: ttft` or `per-token`. Drops are attempts with status
 * timeout, overloaded, server_error or rate_limited; cancelled, stream_cut and bad_request are
 * ignored.
 */
import { z } from 'zod';
import { aimdParams, aimdSample } from '../src/gateway/aimd-limit.ts';
import { gradientLimit, gradientLimitParams } from '../src/gateway/gradient-limit.ts';
import { gradient2Limit, gradient2LimitParams } from '../src/gateway/gradient2-limit.ts';
import { limiterRttOf, limiterSignal, RTT_SIGNALS } from '../src/gateway/limiter-signal.ts';
import { definePolicy, reject } from '../src/gateway/policy.ts';
import { newSampleWindow, type SampleWindow } from '../src/gateway/sample-window.ts';
import type { SampledLimit } from '../src/gateway/sampled-limit.ts';
import { vegasLimit, vegasLimitParams } from '../src/gateway/vegas-limit.ts';

const NS_PER_MS = 1e6;
const { rtt: _aimdRtt, ...aimdRuleParams } = aimdParams;
const minMaxLimit = (p: { minLimit: number; maxLimit: number }) => p.minLimit <= p.maxLimit;
const minMaxMessage = { message: 'minLimit must not exceed maxLimit' };

const innerLimit = z.discriminatedUnion('policy', [
  z.strictObject({ policy: z.literal('vegas'), params: z.strictObject(vegasLimitParams).prefault({}) }),
  z.strictObject({
    policy: z.literal('gradient'),
    params: z.strictObject(gradientLimitParams).refine(minMaxLimit, minMaxMessage).prefault({}),
  }),
  z.strictObject({
    policy: z.literal('gradient2'),
    params: z.strictObject(gradient2LimitParams).refine(minMaxLimit, minMaxMessage).prefault({}),
  }),
  z.strictObject({
    policy: z.literal('aimd'),
    params: z
      .strictObject({ initialLimit: z.number().int().positive().default(20), ...aimdRuleParams })
      .refine(minMaxLimit, minMaxMessage)
      .prefault({}),
  }),
]);

/** The inner limit as a sampled limit (AIMD keeps its limit in the closure). */
function createInner(spec: z.infer<typeof innerLimit>, random: () => number): SampledLimit {
  if (spec.policy === 'vegas') return vegasLimit(spec.params, random);
  if (spec.policy === 'gradient') return gradientLimit(spec.params, random);
  if (spec.policy === 'gradient2') return gradient2Limit(spec.params);
  const p = spec.params;
  let limit = p.initialLimit;
  return {
    get limit() {
      return limit;
    },
    onSample(rtt, inflight, drop) {
      limit = aimdSample(limit, rtt, inflight, drop, p);
    },
  };
}

export default definePolicy({
  name: 'windowed',
  kind: 'admission',
  description: 'Netflix WindowedLimit: an adaptive limit fed one average/percentile sample per window.',
  params: z.strictObject({
    limit: innerLimit,
    minWindowTime: z.number().min(100).default(1000),
    maxWindowTime: z.number().min(100).default(1000),
    /** Samples a window needs before it updates the limit. */
    windowSize: z.number().int().min(10).default(10),
    /** Attempts faster than this (ms) are not sampled. */
    minRttThreshold: z.number().min(0).default(0.1),
    sampleWindow: z
      .union(
        [
          z.literal('average'),
          z.strictObject({ percentile: z.number().gt(0).lt(1), size: z.number().int().positive() }),
        ],
        { error: "expected 'average' or { percentile: in (0, 1), size: samples kept }" },
      )
      .default('average'),
    rtt: z.enum(RTT_SIGNALS).default('latency'),
    queue: z.boolean().default(false),
  }),
  create(params, ctx) {
    // What a request over the limit gets: fixed at creation.
    const whenFull = params.queue ? 'enqueue' : reject('over-limit');
    const inner = createInner(params.limit, ctx.random);
    const minWindowNs = Math.round(params.minWindowTime * NS_PER_MS);
    const maxWindowNs = Math.round(params.maxWindowTime * NS_PER_MS);
    const minRttNs = Math.round(params.minRttThreshold * NS_PER_MS);
    let window: SampleWindow = newSampleWindow(params.sampleWindow);
    let nextUpdateNs = 0;

    return {
      admit(_req, gateway) {
        if (gateway.inFlight < inner.limit) return 'admit';
        return whenFull;
      },
      onOutcome(o) {
        const signal = limiterSignal(o.status);
        if (signal === 'ignore') return;
        const rttNs = Math.round(limiterRttOf(o, params.rtt) * NS_PER_MS);
        if (!(rttNs >= minRttNs)) return;
        window.add(rttNs, o.inFlightAtStart, signal === 'drop');
        // Netflix's start + rtt; the attempt's own end whatever the RTT signal (per-token is no duration).
        const endNs = Math.round(o.endMs * NS_PER_MS);
        if (endNs <= nextUpdateNs) return;
        const closed = window;
        window = newSampleWindow(params.sampleWindow);
        nextUpdateNs = endNs + Math.min(Math.max(closed.candidateRttNs * 2, minWindowNs), maxWindowNs);
        if (closed.candidateRttNs < Number.POSITIVE_INFINITY && closed.sampleCount >= params.windowSize)
          inner.onSample(closed.trackedRttNs / NS_PER_MS, closed.maxInFlight, closed.didDrop);
      },
    };
  },
});
