/**
 * Per-request samples, opt-in (`floodgate run --samples FILE`): a bounded, deterministic
 * reservoir of the requests that ended, for users who want their own analysis. It watches the
 * workload's probe like the recorder does and only reads what it is given, so a run with samples
 * gives the same result as one without (FG-3); a run without samples never builds one (the
 * simulator hands the recorder to the workload directly).
 *
 * Reservoir sampling (Vitter's algorithm R): the first `limit` requests fill the reservoir, then
 * request k (0-based, k >= limit) replaces a uniformly drawn slot with probability limit / (k + 1).
 * The draws come from a stream of its own seeded by the run's seed, never from the model's
 * streams, so the sample is the same for the same scenario and seed.
 *
 * Example sample: { id: 812, class: 'chat', arrivalMs: 61234.5, endMs: 63011.2, outcome: 'ok',
 *   measured: true, tries: 1, promptTokens: 900, outputTokens: 210, ttftMs: 412.3,
 *   e2eMs: 1776.7, tpotMs: 6.5, queueWaitMs: 3.1, provider: 'fast-api', costUsd: 0.0021, good: true }
 */
import { RngStreams } from '../engine/rng.ts';
import type { WorkloadProbe } from '../workload/probe.ts';
import type { Outcome, Request } from '../workload/request.ts';
import type { Session } from '../workload/sessions.ts';

/** One request as it ended. Times are ms of simulated time; latencies null unless `outcome` is ok. */
export interface RequestSample {
  /** Arrival order (the workload's id). */
  id: number;
  class: string;
  arrivalMs: number;
  endMs: number;
  outcome: Outcome;
  /** Arrived after warmup (counts in the run's figures). */
  measured: boolean;
  /** Client tries (1 without client retries). */
  tries: number;
  promptTokens: number;
  /** Output tokens delivered by the successful attempt (0 otherwise). */
  outputTokens: number;
  ttftMs: number | null;
  e2eMs: number | null;
  /** (E2E - TTFT) / (output tokens - 1) for streamed answers, as vLLM defines it. */
  tpotMs: number | null;
  /** Gateway queue plus the successful attempt's provider queue. */
  queueWaitMs: number | null;
  /** Provider of the successful attempt. */
  provider: string | null;
  /** What the gateway paid for the request's attempts. */
  costUsd: number;
  /** Completed within every per-request target of its class (the goodput definition). */
  good: boolean;
}

/** The column order of a sample, for CSV writers. */
export const SAMPLE_FIELDS: readonly (keyof RequestSample)[] = [
  'id',
  'class',
  'arrivalMs',
  'endMs',
  'outcome',
  'measured',
  'tries',
  'promptTokens',
  'outputTokens',
  'ttftMs',
  'e2eMs',
  'tpotMs',
  'queueWaitMs',
  'provider',
  'costUsd',
  'good',
];

/** Largest reservoir a run may keep (memory stays bounded: FG-6). */
export const MAX_SAMPLES = 1_000_000;

export interface SamplerSetup {
  limit: number;
  seed: number;
  classes: readonly { name: string; slo: { ttft?: number; tpot?: number; e2e?: number } }[];
  providers: readonly string[];
  /** Simulated time (the end of a request). */
  now: () => number;
}

/** A bounded, seeded reservoir of ended requests (see the file comment). */
export class RequestSampler {
  private readonly reservoir: RequestSample[] = [];
  private readonly random: () => number;
  /** Requests seen so far. */
  seen = 0;

  private readonly setup: SamplerSetup;

  constructor(setup: SamplerSetup) {
    this.setup = setup;
    this.random = new RngStreams(setup.seed).get('export/samples');
  }

  /** Offers an ended request to the reservoir. */
  offer(req: Request): void {
    const k = this.seen++;
    const limit = this.setup.limit;
    if (k < limit) {
      this.reservoir.push(this.sample(req));
      return;
    }
    const slot = Math.floor(this.random() * (k + 1));
    if (slot < limit) this.reservoir[slot] = this.sample(req);
  }

  /** The samples kept, in arrival order. */
  samples(): RequestSample[] {
    return [...this.reservoir].sort((a, b) => a.id - b.id);
  }

  private sample(req: Request): RequestSample {
    const work = req.work;
    const cls = this.setup.classes[work.classIndex]!;
    const a = req.outcome === 'ok' ? req.ticket.okAttempt : undefined;
    let ttft: number | null = null;
    let e2e: number | null = null;
    let tpot: number | null = null;
    let wait: number | null = null;
    if (a) {
      ttft = a.firstTokenMs - work.arrivalMs;
      e2e = a.endMs - work.arrivalMs;
      if (a.outputTokens > 1 && a.tokenIntervalMs > 0) tpot = (e2e - ttft) / (a.outputTokens - 1);
      wait = req.ticket.gatewayWaitMs + (a.serviceStartMs - a.startMs);
    }
    const within = (v: number | null, target: number | undefined) =>
      v === null || target === undefined || v <= target;
    return {
      id: work.id,
      class: cls.name,
      arrivalMs: work.arrivalMs,
      endMs: this.setup.now(),
      outcome: req.outcome!,
      measured: work.measured,
      tries: req.tries,
      promptTokens: work.promptTokens,
      outputTokens: a ? a.outputTokens : 0,
      ttftMs: ttft,
      e2eMs: e2e,
      tpotMs: tpot,
      queueWaitMs: wait,
      provider: a ? (this.setup.providers[a.providerIndex] ?? null) : null,
      costUsd: req.ticket.costUsd,
      good:
        a !== undefined &&
        within(ttft, cls.slo.ttft) &&
        within(e2e, cls.slo.e2e) &&
        within(tpot, cls.slo.tpot),
    };
  }
}

/**
 * The workload probe with a sampler beside it: everything goes to `probe` as before, and each
 * ended request is offered to the sampler afterwards. Used only when samples are asked for.
 */
export function withSampler(probe: WorkloadProbe, sampler: RequestSampler): WorkloadProbe {
  return {
    arrived: (work) => probe.arrived(work),
    clientRetried: (work) => probe.clientRetried(work),
    retryDenied: (work) => probe.retryDenied(work),
    requestEnded: (req: Request) => {
      probe.requestEnded(req);
      sampler.offer(req);
    },
    sessionStarted: (classIndex: number, measured: boolean) => probe.sessionStarted(classIndex, measured),
    sessionEnded: (session: Session, nowMs: number) => probe.sessionEnded(session, nowMs),
  };
}
