/**
 * The contract every policy passes, built-in or a user's: call `runPolicyContract(definition,
 * params)` at the top of the policy's test file. It checks what the gateway relies on: a routing
 * policy returns one of the targets it was given (or a rejection), rejects when given none, and
 * is deterministic for the same random stream; an admission policy returns admit, enqueue or a
 * rejection; a health policy allows targets it knows nothing about and is deterministic; all
 * accept outcomes of every status without throwing.
 */
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import type {
  AdmissionPolicy,
  AttemptOutcomeView,
  HealthPolicy,
  PolicyContext,
  PolicyDefinition,
  RequestView,
  RouteContext,
  RoutingPolicy,
  TargetView,
} from '../gateway/policy.ts';
import { isRejection } from '../gateway/policy.ts';
import { ATTEMPT_STATUSES } from '../metrics/recorder.ts';

/** A policy context on a fake clock with a seeded stream; `advance` runs due timers. */
export function fakeContext(seed = 'contract') {
  let now = 0;
  let offers = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const ctx: PolicyContext = {
    now: () => now,
    random: seedrandom.alea(seed) as () => number,
    schedule: (delayMs, fn) => {
      timers.push({ at: now + delayMs, fn });
    },
    offerQueue: () => {
      offers++;
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      timers.sort((a, b) => a.at - b.at);
      const next = timers[0];
      if (!next || next.at > end) break;
      timers.shift();
      now = next.at;
      next.fn();
    }
    now = end;
  };
  return { ctx, advance, offers: () => offers };
}

/** The route context of a request's first attempt. */
export const FIRST_ATTEMPT: RouteContext = { attempt: 0, previous: undefined };

export function makeRequest(over: Partial<RequestView> = {}): RequestView {
  return {
    id: 1,
    className: 'chat',
    classIndex: 0,
    priority: 0,
    promptTokens: 500,
    stream: true,
    tenant: undefined,
    arrivalMs: 0,
    deadlineMs: Infinity,
    prefixId: -1,
    prefixTokens: 0,
    blockHashes: [],
    blockTokens: 0,
    slo: { ttftMs: Infinity, tpotMs: Infinity, e2eMs: Infinity },
    difficultyEstimate: Number.NaN,
    ...over,
  };
}

export function makeTarget(index: number, over: Partial<TargetView> = {}): TargetView {
  return {
    index,
    name: `t${index}`,
    provider: `t${index}`,
    kind: 'api',
    models: [`t${index}`],
    group: { model: `t${index}`, size: 1 },
    inFlight: 0,
    attempts: 0,
    successes: 0,
    failures: 0,
    lastTtftMs: Number.NaN,
    retryAfterUntilMs: 0,
    inputPerMTok: 1,
    outputPerMTok: 2,
    scraped: undefined,
    ...over,
  };
}

/** An admission policy's limit as admission shows it: the smallest in-flight count that does not admit `req`. */
export function admittedLimit(policy: AdmissionPolicy, req: RequestView = makeRequest()): number {
  let n = 0;
  while (policy.admit(req, { inFlight: n, queued: 0 }, 0) === 'admit') n++;
  return n;
}

export function makeOutcome(target: TargetView, over: Partial<AttemptOutcomeView> = {}): AttemptOutcomeView {
  return {
    request: makeRequest(),
    target,
    status: 'ok',
    startMs: 0,
    endMs: 100,
    ttftMs: 50,
    latencyMs: 100,
    retryAfterMs: 0,
    outputTokens: 100,
    inFlightAtStart: 1,
    ...over,
  };
}

/**
 * A limiter's sample, as Netflix's tests feed one: an attempt to target 0 that took `latencyMs`
 * with `inFlightAtStart` in flight when it started, ending with `status`.
 */
export function limiterSample(latencyMs: number, inFlightAtStart: number, status = 'ok'): AttemptOutcomeView {
  return makeOutcome(makeTarget(0), { latencyMs, inFlightAtStart, status });
}

export function runPolicyContract(definition: PolicyDefinition, params: unknown = {}): void {
  if (definition.kind === 'health') {
    runHealthContract(definition, params);
    return;
  }
  const parsed = definition.params ? definition.params.parse(params) : params;
  describe(`${definition.name} (policy contract)`, () => {
    it('has a kebab-case name', () => {
      expect(definition.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    });

    if (definition.kind === 'routing') {
      const make = (seed?: string) =>
        definition.create(parsed as never, fakeContext(seed).ctx) as RoutingPolicy;
      it('returns one of the given targets or a rejection', () => {
        const policy = make();
        const targets = [0, 1, 2].map((i) => makeTarget(i, { inFlight: i }));
        for (let i = 0; i < 50; i++) {
          const d = policy.route(makeRequest({ id: i }), targets, FIRST_ATTEMPT);
          if (!isRejection(d)) expect(targets).toContain(d);
        }
      });
      it('rejects when there is no target', () => {
        expect(isRejection(make().route(makeRequest(), [], FIRST_ATTEMPT))).toBe(true);
      });
      it('is deterministic for the same random stream', () => {
        const a = make('s');
        const b = make('s');
        const targets = [0, 1, 2, 3].map((i) => makeTarget(i));
        for (let i = 0; i < 50; i++) {
          const da = a.route(makeRequest({ id: i }), targets, FIRST_ATTEMPT);
          const db = b.route(makeRequest({ id: i }), targets, FIRST_ATTEMPT);
          expect(isRejection(da) ? da : da.index).toEqual(isRejection(db) ? db : db.index);
        }
      });
      it('accepts outcomes of every status', () => {
        const policy = make();
        for (const status of ATTEMPT_STATUSES)
          expect(() => policy.onOutcome?.(makeOutcome(makeTarget(0), { status }))).not.toThrow();
      });
    } else {
      const make = () => definition.create(parsed as never, fakeContext().ctx) as AdmissionPolicy;
      it('answers admit, enqueue or a rejection', () => {
        const policy = make();
        for (let inFlight = 0; inFlight < 500; inFlight += 7) {
          const d = policy.admit(makeRequest(), { inFlight, queued: 0 }, 0);
          expect(d === 'admit' || d === 'enqueue' || isRejection(d)).toBe(true);
        }
      });
      it('accepts releases and outcomes of every status', () => {
        const policy = make();
        for (const status of ATTEMPT_STATUSES) {
          expect(() => policy.onOutcome?.(makeOutcome(makeTarget(0), { status }))).not.toThrow();
          expect(() => policy.onRelease?.(makeRequest(), status, 100)).not.toThrow();
        }
      });
    }
  });
}

/**
 * Health policies: `allows` answers a boolean, allows every target it has heard nothing about,
 * accepts outcomes of every status, and answers the same for the same history.
 */
function runHealthContract(definition: PolicyDefinition, params: unknown = {}): void {
  const parsed = definition.params ? definition.params.parse(params) : params;
  describe(`${definition.name} (health policy contract)`, () => {
    const make = () => {
      const { ctx, advance } = fakeContext();
      return { policy: definition.create(parsed as never, ctx) as HealthPolicy, advance };
    };

    it('has a kebab-case name', () => {
      expect(definition.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    });

    it('allows every target it has no outcome for', () => {
      const { policy } = make();
      for (let i = 0; i < 5; i++) expect(policy.allows(makeTarget(i))).toBe(true);
    });

    it('accepts outcomes of every status and keeps answering booleans', () => {
      const { policy, advance } = make();
      const targets = [0, 1, 2].map((i) => makeTarget(i));
      for (let round = 0; round < 30; round++) {
        for (const status of ATTEMPT_STATUSES)
          for (const t of targets) {
            expect(() => policy.onOutcome?.(makeOutcome(t, { status, startMs: round * 100 }))).not.toThrow();
            expect(typeof policy.allows(t)).toBe('boolean');
          }
        advance(100);
      }
    });

    it('is deterministic for the same history', () => {
      const a = make();
      const b = make();
      const targets = [0, 1, 2, 3].map((i) => makeTarget(i));
      const answers = (h: ReturnType<typeof make>) => {
        const out: boolean[] = [];
        for (let step = 0; step < 200; step++) {
          const t = targets[step % 4]!;
          const status = ATTEMPT_STATUSES[(step * 7) % ATTEMPT_STATUSES.length]!;
          h.policy.onOutcome?.(makeOutcome(t, { status, startMs: step * 50 }));
          out.push(h.policy.allows(t));
          h.advance(50);
        }
        return out;
      };
      expect(answers(a)).toEqual(answers(b));
    });
  });
}
