/**
 * The one place that builds what policies see (FG-5): request views from arrival facts, the
 * gateway's gauges, attempt outcomes. Views are plain data: none holds a reference to the
 * gateway, a provider or the ground truth behind them, so a policy cannot reach those at run
 * time whatever it casts.
 */
import type { Attempt, AttemptStatus } from '../providers/attempt.ts';
import type { WorkItem } from '../providers/work-item.ts';
import type { AttemptOutcomeView, GatewayView, RequestView, TargetView } from './policy.ts';

/** What the gateway knows of a request class from its configuration. */
export interface ClassFacts {
  readonly name: string;
  readonly priority: number;
  readonly tenant: string | undefined;
  readonly slo: { readonly ttftMs: number; readonly tpotMs: number; readonly e2eMs: number };
}

/** The request as sent: everything but its true output length and difficulty. */
export function requestView(work: WorkItem, c: ClassFacts): RequestView {
  return {
    id: work.id,
    className: c.name,
    classIndex: work.classIndex,
    priority: c.priority,
    promptTokens: work.promptTokens,
    stream: work.stream,
    tenant: c.tenant,
    arrivalMs: work.arrivalMs,
    deadlineMs: work.deadlineMs,
    prefixId: work.prefixId,
    prefixTokens: work.prefixTokens,
    blockHashes: work.blockHashes === undefined ? NO_HASHES : Object.freeze(Array.from(work.blockHashes)),
    blockTokens: work.hashBlockTokens,
    slo: c.slo,
    difficultyEstimate: work.difficultyEstimate,
  };
}

/** A view's fields, writable: only `refillRequestView` writes them after `requestView` built it. */
type ViewFields = { -readonly [K in keyof RequestView]: RequestView[K] };

/**
 * Makes `view`, built by `requestView` for a request that ended and that no policy keeps, what
 * `requestView(work, c)` would return (same fields, in the same order, so it keeps its shape): a
 * gateway that recycles tickets reuses their views when its policies keep none (the built-ins).
 */
export function refillRequestView(view: RequestView, work: WorkItem, c: ClassFacts): RequestView {
  const v = view as ViewFields;
  v.id = work.id;
  v.className = c.name;
  v.classIndex = work.classIndex;
  v.priority = c.priority;
  v.promptTokens = work.promptTokens;
  v.stream = work.stream;
  v.tenant = c.tenant;
  v.arrivalMs = work.arrivalMs;
  v.deadlineMs = work.deadlineMs;
  v.prefixId = work.prefixId;
  v.prefixTokens = work.prefixTokens;
  v.blockHashes = work.blockHashes === undefined ? NO_HASHES : Object.freeze(Array.from(work.blockHashes));
  v.blockTokens = work.hashBlockTokens;
  v.slo = c.slo;
  v.difficultyEstimate = work.difficultyEstimate;
  return view;
}

/** The block hashes of a request without any (frozen: shared by every view). */
const NO_HASHES: readonly number[] = Object.freeze([]);

/** The gateway's counts as admission policies see them; the gateway keeps them current. */
export class GatewayGauges implements GatewayView {
  inFlight = 0;
  queued = 0;
}

/**
 * What the gateway learned of attempt `a` to `target`: its report; or, when the gateway stopped
 * waiting (`a.abandoned`, with `status` timeout or cancelled), only what had reached it by
 * `nowMs`: `delivered` tokens, the first token's time if one came, no retry-after.
 */
export function outcomeView(
  a: Attempt,
  request: RequestView,
  target: TargetView,
  status: AttemptStatus,
  nowMs: number,
  delivered: number,
): AttemptOutcomeView {
  const abandoned = a.abandoned;
  const end = abandoned ? nowMs : a.endMs;
  const tokenCame = abandoned ? delivered > 0 : a.firstTokenMs <= end;
  return {
    request,
    target,
    status,
    startMs: a.startMs,
    endMs: end,
    ttftMs: tokenCame ? a.firstTokenMs - a.startMs : Number.NaN,
    latencyMs: end - a.startMs,
    retryAfterMs: abandoned ? 0 : a.retryAfterMs,
    outputTokens: abandoned ? delivered : a.outputTokens,
    inFlightAtStart: a.inFlightAtStart,
    // Frozen plain data the provider wrote for this response alone (no reference to its buckets).
    rateLimit: abandoned ? undefined : a.rateLimit,
  };
}
