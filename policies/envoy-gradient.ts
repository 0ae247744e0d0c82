/**
 * envoy-gradient: Envoy's adaptive concurrency (gradient controller). Every `sampleInterval` ms the
 * window's latency samples are summarized as sampleRTT (their `percentile`), then
 * gradient = clamp(minRTT x (1 + buffer) / sampleRTT, 0.5, 2) and
 * limit = floor(gradient x limit + sqrt(gradient x limit)) (the sqrt is the burst headroom),
 * clamped to [minConcurrency, maxLimit]. minRTT is measured at the start and then every
 * `minRttInterval` ms (+ up to `jitter` of it, random), and whenever the limit has been set to
 * minConcurrency for 5 windows in a row: the limit is pinned to `minConcurrency` until
 * `minRttRequests` samples (from attempts started in the measurement) have come back, their
 * percentile becomes minRTT, and the limit returns to its value before the measurement. Admits
 * while in-flight < limit; over it sheds (`reject('over-limit')`, Envoy's 503) or queues (`queue`).
 *
 * Source: Envoy `adaptive_concurrency` filter, `GradientController` (gradient_controller.cc,
 * gradient_controller.h) and adaptive_concurrency.proto (v3, 2026). Defaults are Envoy's:
 * percentile 0.5 (`sample_aggregate_percentile` p50), buffer 0.25 (25%), jitter 0.15,
 * minRttRequests 50, minConcurrency 3, maxLimit 1000; Envoy requires the update interval and the
 * minRTT interval, Floodgate defaults them to 100 ms and 60 s (the values of Envoy's docs example).
 * percentile, buffer and jitter outside [0, 1] are clamped into it, as GradientControllerConfig's
 * accessors clamp them (Envoy's static config refuses a Percent outside [0, 100]; its runtime
 * overrides are clamped, GradientControllerConfigTest.Clamping).
 * Departures, each a parameter: `rtt: ttft` or `per-token` (latency / output tokens; default
 * `latency`); `queue: true` (default false:
 * shed, as Envoy answers 503). The percentile is the nearest rank (Envoy approximates it with a
 * histogram). Samples: every attempt outcome except cancelled, stream_cut and bad_request.
 */
import { z } from 'zod';
import { limiterRttOf, limiterSignal, RTT_SIGNALS } from '../src/gateway/limiter-signal.ts';
import { definePolicy, reject } from '../src/gateway/policy.ts';

const MIN_WINDOWS_BEFORE_REMEASURE = 5;

const clamp01 = (x: number): number => Math.max(0, Math.min(1, x));

export default definePolicy({
  name: 'envoy-gradient',
  kind: 'admission',
  description:
    "Envoy adaptive concurrency (gradient controller, Envoy's defaults: p50, buffer 25%): L = g L + sqrt(g L), g = minRTT (1 + buffer) / sampleRTT.",
  params: z.strictObject({
    /** Sample window (ms): Envoy `concurrency_update_interval`. */
    sampleInterval: z.number().positive().default(100),
    /** Envoy `sample_aggregate_percentile`, as a fraction (clamped to [0, 1]). */
    percentile: z.number().default(0.5),
    /** Envoy `min_rtt_calc_params.buffer`, as a fraction (clamped to [0, 1]). */
    buffer: z.number().default(0.25),
    /** Envoy `min_rtt_calc_params.interval` (ms). */
    minRttInterval: z.number().positive().default(60_000),
    /** Envoy `min_rtt_calc_params.jitter`, as a fraction of the interval (clamped to [0, 1]). */
    jitter: z.number().default(0.15),
    /** Envoy `min_rtt_calc_params.request_count`. */
    minRttRequests: z.number().int().positive().default(50),
    /** Envoy `min_rtt_calc_params.min_concurrency`: the pinned limit, also the lower bound. */
    minConcurrency: z.number().int().positive().default(3),
    maxLimit: z.number().int().positive().default(1000),
    rtt: z.enum(RTT_SIGNALS).default('latency'),
    queue: z.boolean().default(false),
  }),
  create(raw, ctx) {
    // Envoy's config accessors clamp the three percentages into [0, 1].
    const params = {
      ...raw,
      percentile: clamp01(raw.percentile),
      buffer: clamp01(raw.buffer),
      jitter: clamp01(raw.jitter),
    };
    // What a request over the limit gets: fixed at creation.
    const whenFull = params.queue ? 'enqueue' : reject('over-limit');
    let limit = params.minConcurrency;
    /** The limit to restore after a minRTT measurement; > 0 exactly while measuring. */
    let deferredLimit = 0;
    let minRtt = 0;
    let minRttEpoch = 0;
    let consecutiveMin = 0;
    // Latency samples of the current window (or of the minRTT measurement).
    let samples = new Float64Array(256);
    let count = 0;
    // Timer generations: re-arming a timer makes the pending callback a no-op (Envoy's enableTimer).
    let sampleTimerGen = 0;
    let minRttTimerGen = 0;

    const measuring = () => deferredLimit > 0;

    /** The percentile of the samples (nearest rank), then clears them. */
    const summarizeAndClear = (): number => {
      const view = samples.subarray(0, count);
      view.sort();
      const rank = Math.min(count, Math.max(1, Math.ceil(params.percentile * count)));
      const value = view[rank - 1]!;
      count = 0;
      return value;
    };

    const updateLimit = (next: number): void => {
      const old = limit;
      limit = next;
      if (!measuring() && old === params.minConcurrency && next === params.minConcurrency) consecutiveMin++;
      else consecutiveMin = 0;
      if (consecutiveMin >= MIN_WINDOWS_BEFORE_REMEASURE) armMinRttTimer(0);
    };

    const enterMinRttWindow = (): void => {
      if (measuring()) return;
      deferredLimit = limit;
      updateLimit(params.minConcurrency);
      count = 0; // samples from before the measurement may not represent the minRTT
      minRttEpoch = ctx.now();
    };

    const armMinRttTimer = (delay: number): void => {
      const gen = ++minRttTimerGen;
      ctx.schedule(delay, () => {
        if (gen === minRttTimerGen) enterMinRttWindow();
      });
    };

    const resetSampleWindow = (): void => {
      if (count === 0) return;
      const sampleRtt = summarizeAndClear();
      const raw = (minRtt + minRtt * params.buffer) / sampleRtt;
      const gradient = Math.max(0.5, Math.min(2, raw));
      const scaled = limit * gradient;
      const next = Math.floor(scaled + Math.sqrt(scaled));
      updateLimit(Math.max(params.minConcurrency, Math.min(params.maxLimit, next)));
    };

    const armSampleTimer = (): void => {
      const gen = ++sampleTimerGen;
      ctx.schedule(params.sampleInterval, () => {
        if (gen !== sampleTimerGen) return;
        // During a minRTT measurement the window timer stops; the measurement's end restarts it.
        if (measuring()) return;
        resetSampleWindow();
        armSampleTimer();
      });
    };

    const updateMinRtt = (): void => {
      if (count > 0) minRtt = summarizeAndClear();
      updateLimit(deferredLimit);
      deferredLimit = 0;
      const interval = params.minRttInterval;
      const range = Math.ceil(interval * params.jitter);
      armMinRttTimer(range > 0 ? interval + Math.floor(ctx.random() * range) : interval);
      armSampleTimer();
    };

    enterMinRttWindow();
    armSampleTimer();

    return {
      admit(_req, gateway) {
        if (gateway.inFlight < limit) return 'admit';
        return whenFull;
      },
      onOutcome(o) {
        if (limiterSignal(o.status) === 'ignore') return;
        if (o.startMs < minRttEpoch) return; // started before the current minRTT measurement
        const rtt = limiterRttOf(o, params.rtt);
        if (count === samples.length) {
          const grown = new Float64Array(samples.length * 2);
          grown.set(samples);
          samples = grown;
        }
        samples[count++] = rtt;
        if (measuring() && count >= params.minRttRequests) updateMinRtt();
      },
    };
  },
});
