/**
 * Workload: turns arrival sources into requests. Each source has its own random stream, class
 * choice and token sizes have theirs, and all draws happen at arrival, so the offered traffic is
 * identical whatever the gateway does (common random numbers, FG-3).
 */
import type { Scheduler } from '../engine/clock.ts';
import { createDistribution, type Distribution } from '../engine/dist/index.ts';
import type { Random, RngStreams } from '../engine/rng.ts';
import type { RequestView } from '../gateway/policy.ts';
import type { Recorder } from '../metrics/recorder.ts';
import type { Scenario } from '../scenario/schema.ts';
import { type ArrivalSource, createArrivalSource } from './arrivals.ts';
import type { Client } from './client.ts';
import { Request } from './request.ts';
import { type Session, type SessionHost, SessionRunner } from './sessions.ts';
import type { Trace } from './trace.ts';

interface SourceState {
  source: ArrivalSource;
  /** Fixed class index, or -1 to draw by share. */
  classIndex: number;
  trace: Trace | undefined;
}

/** Prefix ids of sessions start here (class prefix groups use classIndex x 1e6 + group). */
const SESSION_PREFIX_BASE = 2 ** 40;

export class Workload implements SessionHost {
  private readonly scheduler: Scheduler;
  private readonly client: Client;
  private readonly sources: SourceState[] = [];
  private readonly promptDist: Distribution[];
  private readonly outputDist: Distribution[];
  private readonly tokenRng: Random[];
  private readonly classRng: Random;
  /** Cumulative shares over classes without own arrivals (for the shared source). */
  private readonly shareClasses: number[] = [];
  private readonly shareCumulative: number[] = [];
  private readonly classByName: Map<string, number>;
  private readonly classes: Scenario['workload']['classes'];
  private readonly warmupMs: number;
  private readonly slos: { ttftMs: number; tpotMs: number; e2eMs: number }[];
  private readonly durationMs: number;
  private nextId = 0;
  private readonly onArrival = (s: SourceState) => this.arrive(s);
  /** Per class, the agent-session runner (undefined for plain request classes). */
  private readonly sessions: (SessionRunner | undefined)[];
  private nextSessionId = 0;
  private readonly recorder: Recorder;

  constructor(
    scheduler: Scheduler,
    scenario: Scenario,
    traces: ReadonlyMap<string, Trace>,
    streams: RngStreams,
    client: Client,
    recorder: Recorder,
  ) {
    this.scheduler = scheduler;
    this.client = client;
    this.recorder = recorder;
    this.sessions = scenario.workload.classes.map((c) =>
      c.session
        ? new SessionRunner(scheduler, this, c.session, streams.get(`workload/sessions/${c.name}`))
        : undefined,
    );
    client.onRequestEnd = (req) => {
      const session = req.session as Session | undefined;
      if (session) this.sessions[session.classIndex]!.callEnded(session, req);
    };
    const classes = scenario.workload.classes;
    this.classes = classes;
    this.warmupMs = scenario.warmup;
    const inf = Number.POSITIVE_INFINITY;
    this.slos = classes.map((c) => ({
      ttftMs: c.slo.ttft ?? inf,
      tpotMs: c.slo.tpot ?? inf,
      e2eMs: c.slo.e2e ?? inf,
    }));
    this.durationMs = scenario.duration;
    this.classByName = new Map(classes.map((c, i) => [c.name, i]));
    this.promptDist = classes.map((c) => createDistribution(c.promptTokens));
    this.outputDist = classes.map((c) => createDistribution(c.outputTokens));
    this.tokenRng = classes.map((c) => streams.get(`workload/tokens/${c.name}`));
    this.classRng = streams.get('workload/classes');
    let total = 0;
    classes.forEach((c, i) => {
      if (c.arrivals) return;
      total += c.share;
      this.shareClasses.push(i);
      this.shareCumulative.push(total);
    });
    for (let i = 0; i < this.shareCumulative.length; i++) this.shareCumulative[i]! /= total;
    const horizon = scenario.duration;
    const shared = scenario.workload.arrivals;
    if (shared && this.shareClasses.length > 0) {
      const trace = shared.trace ? traces.get(shared.trace.file) : undefined;
      this.sources.push({
        source: createArrivalSource(shared, streams.get('workload/arrivals'), horizon, trace),
        classIndex: -1,
        trace,
      });
    }
    classes.forEach((c, i) => {
      if (!c.arrivals) return;
      const trace = c.arrivals.trace ? traces.get(c.arrivals.trace.file) : undefined;
      this.sources.push({
        source: createArrivalSource(c.arrivals, streams.get(`workload/arrivals/${c.name}`), horizon, trace),
        classIndex: i,
        trace,
      });
    });
  }

  /** Schedules the first arrival of every source. */
  start(): void {
    for (const s of this.sources) this.scheduleNext(s);
  }

  private scheduleNext(s: SourceState): void {
    const t = s.source.next();
    if (t < this.durationMs) this.scheduler.at(Math.max(t, this.scheduler.now()), this.onArrival, s);
  }

  private arrive(s: SourceState): void {
    const now = this.scheduler.now();
    const record = s.source.record;
    let classIndex = s.classIndex;
    if (classIndex < 0) {
      const named = record >= 0 ? s.trace?.classes?.[record] : undefined;
      classIndex = named !== undefined ? (this.classByName.get(named) ?? this.pickClass()) : this.pickClass();
    }
    const c = this.classes[classIndex]!;
    let prompt: number;
    let output: number;
    if (record >= 0 && s.trace) {
      prompt = s.trace.promptTokens[record]!;
      output = Math.max(1, s.trace.outputTokens[record]!);
    } else {
      const rng = this.tokenRng[classIndex]!;
      prompt = Math.max(1, Math.round(this.promptDist[classIndex]!.sample(rng)));
      output = Math.max(1, Math.round(this.outputDist[classIndex]!.sample(rng)));
    }
    this.scheduleNext(s);
    const runner = this.sessions[classIndex];
    if (runner) {
      this.recorder.onSessionStarted(classIndex, now >= this.warmupMs);
      runner.start(
        this.nextSessionId++,
        classIndex,
        now,
        now >= this.warmupMs,
        prompt,
        this.outputDist[classIndex]!,
      );
      return;
    }
    let prefixId = -1;
    let prefixTokens = 0;
    if (c.prefix) {
      // Drawn from the class's own stream at arrival, like the sizes: the same whatever the policy.
      prefixId = classIndex * 1_000_000 + Math.floor(this.tokenRng[classIndex]!() * c.prefix.groups);
      prefixTokens = Math.min(c.prefix.tokens, prompt);
    }
    this.client.arrive(this.makeRequest(classIndex, prompt, output, prefixId, prefixTokens));
  }

  /** A request of class `classIndex` arriving now. */
  private makeRequest(
    classIndex: number,
    prompt: number,
    output: number,
    prefixId: number,
    prefixTokens: number,
  ): Request {
    const now = this.scheduler.now();
    const c = this.classes[classIndex]!;
    const deadline = c.deadline !== undefined ? now + c.deadline : Number.POSITIVE_INFINITY;
    const id = this.nextId++;
    const view: RequestView = {
      id,
      className: c.name,
      classIndex,
      priority: c.priority,
      promptTokens: prompt,
      stream: c.stream,
      tenant: c.tenant,
      arrivalMs: now,
      deadlineMs: deadline,
      prefixId,
      prefixTokens,
      slo: this.slos[classIndex]!,
    };
    const req = new Request(
      id,
      classIndex,
      view,
      now,
      prompt,
      output,
      deadline,
      now >= this.warmupMs,
      prefixId,
      prefixTokens,
    );
    return req;
  }

  // SessionHost: a session's call, and a session's end.
  sendCall(session: Session, promptTokens: number, outputTokens: number, cachedPrefix: number): void {
    // A session is its own prefix: each call repeats the previous context.
    const req = this.makeRequest(
      session.classIndex,
      promptTokens,
      outputTokens,
      SESSION_PREFIX_BASE + session.id,
      cachedPrefix,
    );
    req.session = session;
    this.client.arrive(req);
  }

  sessionDone(session: Session): void {
    this.recorder.onSessionDone(session, this.scheduler.now());
  }

  /** Sessions in progress (all classes). */
  liveSessions(): number {
    let n = 0;
    for (const r of this.sessions) n += r?.live ?? 0;
    return n;
  }

  private pickClass(): number {
    const n = this.shareClasses.length;
    if (n === 1) return this.shareClasses[0]!;
    const u = this.classRng();
    for (let i = 0; i < n; i++) if (u < this.shareCumulative[i]!) return this.shareClasses[i]!;
    return this.shareClasses[n - 1]!;
  }
}
