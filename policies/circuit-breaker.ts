/**
 * circuit-breaker: a Hystrix-style breaker per target. Closed: outcomes are counted in a rolling
 * window (`windowMs`, default 10 s, in `buckets` of 1 s); once the window holds at least
 * `minRequests` (20) and errors are at least `errorShare` (50%) of them, the breaker opens and the
 * target is refused for `openForMs` (5 s). Then it is half-open: `allows` lets exactly one trial
 * attempt through and refuses the target until that attempt's outcome; a success closes the
 * breaker (with a fresh window), an error reopens it for another `openForMs`.
 * Errors: every status except ok, cancelled and bad_request; cancelled and bad_request attempts
 * are not counted at all (Hystrix does not count bad requests toward health), and a trial that
 * ends that way is inconclusive (another trial is let through).
 * Source: Netflix Hystrix (circuitBreaker.requestVolumeThreshold 20, errorThresholdPercentage 50,
 * sleepWindowInMilliseconds 5000, metrics.rollingStats 10 s in 10 buckets; one test request
 * when half-open). Hystrix evaluates health snapshots every 500 ms; this checks on every outcome.
 * A health policy is not told which target routing picked, so "the trial went out" is read from
 * the target's own attempt counter: when the next `allows` call sees it unchanged, routing chose
 * another target and the trial is offered again.
 * Tie-break: none needed (a yes/no per target).
 */
import { z } from 'zod';
import { definePolicy, type TargetView } from '../src/gateway/policy.ts';

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;

interface Breaker {
  mode: number;
  openedAt: number;
  /** Rolling window: bucket number held in each slot, and its counts. */
  bucketIds: Float64Array;
  oks: Float64Array;
  errors: Float64Array;
  /** Half-open: a trial was offered, when, and the target's attempt count at the time. */
  trialOffered: boolean;
  trialAt: number;
  trialAttempts: number;
}

export default definePolicy({
  name: 'circuit-breaker',
  kind: 'health',
  description: 'Hystrix breaker: open on >= 50% errors over >= 20 requests in 10 s; one trial after 5 s.',
  params: z.strictObject({
    windowMs: z.number().positive().default(10_000),
    buckets: z.number().int().positive().default(10),
    minRequests: z.number().int().positive().default(20),
    errorShare: z.number().gt(0).max(1).default(0.5),
    openForMs: z.number().min(0).default(5_000),
  }),
  create(params, ctx) {
    const nb = params.buckets;
    const bucketMs = params.windowMs / nb;
    const breakers: Breaker[] = [];

    const breakerOf = (t: TargetView): Breaker => {
      let b = breakers[t.index];
      if (!b) {
        b = {
          mode: CLOSED,
          openedAt: 0,
          bucketIds: new Float64Array(nb).fill(-1),
          oks: new Float64Array(nb),
          errors: new Float64Array(nb),
          trialOffered: false,
          trialAt: 0,
          trialAttempts: 0,
        };
        breakers[t.index] = b;
      }
      return b;
    };

    const open = (b: Breaker, now: number) => {
      b.mode = OPEN;
      b.openedAt = now;
      b.trialOffered = false;
    };

    const close = (b: Breaker) => {
      b.mode = CLOSED;
      b.trialOffered = false;
      b.bucketIds.fill(-1);
      b.oks.fill(0);
      b.errors.fill(0);
    };

    return {
      allows(t) {
        const b = breakerOf(t);
        if (b.mode === CLOSED) return true;
        const now = ctx.now();
        if (b.mode === OPEN) {
          if (now < b.openedAt + params.openForMs) return false;
          b.mode = HALF_OPEN;
          b.trialOffered = false;
        }
        // Half-open: a trial is out once the target's attempt counter moved past the offer.
        if (b.trialOffered && t.attempts > b.trialAttempts) return false;
        b.trialOffered = true;
        b.trialAt = now;
        b.trialAttempts = t.attempts;
        return true;
      },
      onOutcome(o) {
        const status = o.status;
        const b = breakerOf(o.target);
        const neutral = status === 'cancelled' || status === 'bad_request';
        const ok = status === 'ok';
        const now = ctx.now();
        if (b.mode === HALF_OPEN) {
          if (!b.trialOffered || o.startMs < b.trialAt) return; // started before the trial
          if (neutral) b.trialOffered = false;
          else if (ok) close(b);
          else open(b, now);
          return;
        }
        if (b.mode === OPEN || neutral) return;
        const id = Math.floor(now / bucketMs);
        const slot = id % nb;
        if (b.bucketIds[slot] !== id) {
          b.bucketIds[slot] = id;
          b.oks[slot] = 0;
          b.errors[slot] = 0;
        }
        if (ok) b.oks[slot]!++;
        else b.errors[slot]!++;
        let total = 0;
        let errors = 0;
        for (let s = 0; s < nb; s++) {
          if (b.bucketIds[s]! > id - nb) {
            total += b.oks[s]! + b.errors[s]!;
            errors += b.errors[s]!;
          }
        }
        if (total >= params.minRequests && errors >= params.errorShare * total) open(b, now);
      },
    };
  },
});
