/**
 * Workload: turns arrival sources into requests. Each source has its own random stream, class
 * choice and token sizes have theirs, and all draws happen at arrival, so the offered traffic is
 * identical whatever the gateway does (common random numbers, FG-3).
 */
import type { Scheduler } from '../engine/clock.ts';
import { createDistribution, type Distribution } from '../engine/dist/index.ts';
import { trafficKey } from '../engine/luck.ts';
import type { Random, RngStreams } from '../engine/rng.ts';
import { QualityModel } from '../providers/quality.ts';
import { reuseWorkItem, WorkItem, type WorkItemPool } from '../providers/work-item.ts';
import type { Scenario } from '../scenario/schema.ts';
import { type ArrivalSource, createArrivalSource } from './arrivals.ts';
import type { Client } from './client.ts';
import type { WorkloadProbe } from './probe.ts';
import { type DifficultyDraw, DifficultyDraws } from './quality.ts';
import { type Session, type SessionHost, type SessionQuality, SessionRunner } from './sessions.ts';
import type { Trace } from './trace.ts';

interface SourceState {
  source: ArrivalSource;
  /** Fixed class index, or -1 to draw by share. */
  classIndex: number;
  trace: Trace | undefined;
  /** Prompt tokens per block hash of the trace's records. */
  blockTokens: number;
  /**
   * No trace, and none of the source's classes has sessions, a shared prefix or quality draws:
   * its arrivals take the short path (`arrivePlain`), which draws exactly what `arrive` would.
   */
  plain: boolean;
}

/** Prefix ids of sessions start here (class prefix groups use classIndex x 1e6 + group). */
const SESSION_PREFIX_BASE = 2 ** 40;

export class Workload implements SessionHost {
  private readonly scheduler: Scheduler;
  private readonly client: Client;
  private readonly sources: SourceState[] = [];
  private readonly promptDist: Distribution[];
  private readonly outputDist: Distribution[];
  /** Per class, the token counts of a deterministic size distribution (NaN: drawn per request). */
  private readonly fixedPrompt: number[];
  private readonly fixedOutput: number[];
  private readonly tokenRng: Random[];
  private readonly classRng: Random;
  /** Cumulative shares over classes without own arrivals (for the shared source). */
  private readonly shareClasses: number[] = [];
  private readonly shareCumulative: number[] = [];
  private readonly classByName: Map<string, number>;
  private readonly classes: Scenario['workload']['classes'];
  private readonly warmupMs: number;
  private readonly durationMs: number;
  private nextId = 0;
  /** Per class, its arrivals so far (a request's or session's ordinal in its traffic key). */
  private readonly ordinals: number[];
  private readonly onArrival = (s: SourceState) => (s.plain ? this.arrivePlain(s) : this.arrive(s));
  /** Per class, the agent-session runner (undefined for plain request classes). */
  private readonly sessions: (SessionRunner | undefined)[];
  private nextSessionId = 0;
  private readonly probe: WorkloadProbe;
  /** Difficulty draws (only with a scenario `quality` section), and a scratch draw. */
  private readonly quality: DifficultyDraws | undefined;
  private readonly draw: DifficultyDraw = { difficulty: 0, estimate: 0 };
  /** Work items of ended requests to reuse (only when the run recycles records). */
  private readonly workPool: WorkItemPool | undefined;

  constructor(
    scheduler: Scheduler,
    scenario: Scenario,
    traces: ReadonlyMap<string, Trace>,
    streams: RngStreams,
    client: Client,
    probe: WorkloadProbe,
    workPool?: WorkItemPool,
  ) {
    this.scheduler = scheduler;
    this.workPool = workPool;
    this.client = client;
    this.probe = probe;
    const classNames = scenario.workload.classes.map((c) => c.name);
    const q = scenario.quality;
    this.quality = q ? new DifficultyDraws(q, classNames, streams) : undefined;
    let sessionQuality: SessionQuality | undefined;
    if (q && this.quality) {
      const capabilities = new QualityModel(q, scenario.providers, classNames);
      sessionQuality = {
        draws: this.quality,
        sessionCallsOf: (i) => capabilities.sessionCallsOf(i),
        giveUpAfter: q.sessions.giveUpAfter ?? Number.POSITIVE_INFINITY,
      };
    }
    this.sessions = scenario.workload.classes.map((c) =>
      c.session
        ? new SessionRunner(
            scheduler,
            this,
            c.session,
            streams.get(`workload/sessions/${c.name}`),
            sessionQuality,
          )
        : undefined,
    );
    const classes = scenario.workload.classes;
    this.classes = classes;
    this.warmupMs = scenario.warmup;
    this.durationMs = scenario.duration;
    this.classByName = new Map(classes.map((c, i) => [c.name, i]));
    this.ordinals = classes.map(() => 0);
    this.promptDist = classes.map((c) => createDistribution(c.promptTokens));
    this.outputDist = classes.map((c) => createDistribution(c.outputTokens));
    // A deterministic distribution draws nothing from the stream: its count is fixed once.
    const fixed = (d: Distribution) =>
      d.kind === 'deterministic' ? Math.max(1, Math.round(d.sample(() => 0))) : Number.NaN;
    this.fixedPrompt = this.promptDist.map(fixed);
    this.fixedOutput = this.outputDist.map(fixed);
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
        blockTokens: shared.trace?.blockTokens ?? 0,
        plain: false,
      });
    }
    classes.forEach((c, i) => {
      if (!c.arrivals) return;
      const trace = c.arrivals.trace ? traces.get(c.arrivals.trace.file) : undefined;
      this.sources.push({
        source: createArrivalSource(c.arrivals, streams.get(`workload/arrivals/${c.name}`), horizon, trace),
        classIndex: i,
        trace,
        blockTokens: c.arrivals.trace?.blockTokens ?? 0,
        plain: false,
      });
    });
    const plainClass = (i: number) => !classes[i]!.session && !classes[i]!.prefix && !this.quality;
    for (const s of this.sources) {
      s.plain = !s.trace && (s.classIndex >= 0 ? [s.classIndex] : this.shareClasses).every(plainClass);
    }
  }

  /** Schedules the first arrival of every source. */
  start(): void {
    for (const s of this.sources) this.scheduleNext(s);
  }

  private scheduleNext(s: SourceState): void {
    const t = s.source.next();
    if (t < this.durationMs) this.scheduler.at(Math.max(t, this.scheduler.now()), this.onArrival, s);
  }

  /** An arrival of a plain source (see SourceState.plain): what `arrive` does, without what it has none of. */
  private arrivePlain(s: SourceState): void {
    const classIndex = s.classIndex >= 0 ? s.classIndex : this.pickClass();
    let prompt = this.fixedPrompt[classIndex]!;
    let output = this.fixedOutput[classIndex]!;
    if (Number.isNaN(prompt) || Number.isNaN(output)) {
      const rng = this.tokenRng[classIndex]!;
      if (Number.isNaN(prompt)) prompt = Math.max(1, Math.round(this.promptDist[classIndex]!.sample(rng)));
      if (Number.isNaN(output)) output = Math.max(1, Math.round(this.outputDist[classIndex]!.sample(rng)));
    }
    this.scheduleNext(s);
    const work = this.makeWork(classIndex, prompt, output, -1, 0);
    work.trafficKey = trafficKey(classIndex, this.ordinals[classIndex]!++, 0);
    this.client.arrive(work);
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
    let hashes: Int32Array | undefined;
    if (record >= 0 && s.trace) {
      const offsets = s.trace.blockOffsets;
      if (offsets) hashes = s.trace.blockHashes!.subarray(offsets[record]!, offsets[record + 1]!);
      prompt = s.trace.promptTokens[record]!;
      output = Math.max(1, s.trace.outputTokens[record]!);
    } else {
      const rng = this.tokenRng[classIndex]!;
      prompt = this.fixedPrompt[classIndex]!;
      if (Number.isNaN(prompt)) prompt = Math.max(1, Math.round(this.promptDist[classIndex]!.sample(rng)));
      output = this.fixedOutput[classIndex]!;
      if (Number.isNaN(output)) output = Math.max(1, Math.round(this.outputDist[classIndex]!.sample(rng)));
    }
    this.scheduleNext(s);
    const runner = this.sessions[classIndex];
    if (runner) {
      this.probe.sessionStarted(classIndex, now >= this.warmupMs);
      runner.start(
        this.nextSessionId++,
        classIndex,
        this.ordinals[classIndex]!++,
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
    const work = this.makeWork(classIndex, prompt, output, prefixId, prefixTokens, hashes, s.blockTokens);
    work.trafficKey = trafficKey(classIndex, this.ordinals[classIndex]!++, 0);
    if (this.quality) {
      // From the class's quality streams, at arrival: the same whatever the policy (FG-3).
      const draw = this.quality.draw(classIndex, this.draw);
      work.difficulty = draw.difficulty;
      work.difficultyEstimate = draw.estimate;
    }
    this.client.arrive(work);
  }

  /** The arrival facts of a request of class `classIndex` arriving now. */
  private makeWork(
    classIndex: number,
    prompt: number,
    output: number,
    prefixId: number,
    prefixTokens: number,
    blockHashes?: Int32Array,
    hashBlockTokens = 0,
  ): WorkItem {
    const now = this.scheduler.now();
    const c = this.classes[classIndex]!;
    const deadline = c.deadline !== undefined ? now + c.deadline : Number.POSITIVE_INFINITY;
    const pooled = this.workPool?.take();
    if (pooled !== undefined)
      return reuseWorkItem(
        pooled,
        this.nextId++,
        classIndex,
        now,
        prompt,
        output,
        deadline,
        now >= this.warmupMs,
        c.stream,
        prefixId,
        prefixTokens,
        blockHashes,
        hashBlockTokens,
      );
    return new WorkItem(
      this.nextId++,
      classIndex,
      now,
      prompt,
      output,
      deadline,
      now >= this.warmupMs,
      c.stream,
      prefixId,
      prefixTokens,
      blockHashes,
      hashBlockTokens,
    );
  }

  // SessionHost: a session's call, and a session's end.
  sendCall(session: Session, promptTokens: number, outputTokens: number, cachedPrefix: number): void {
    // A session is its own prefix: each call repeats the previous context.
    const work = this.makeWork(
      session.classIndex,
      promptTokens,
      outputTokens,
      SESSION_PREFIX_BASE + session.id,
      cachedPrefix,
    );
    // The session's send index: every call it made, retries included (the runner counted this one).
    work.trafficKey = trafficKey(session.classIndex, session.ordinal, session.callsMade - 1);
    if (this.quality) {
      // The step's difficulty, drawn when the session arrived: a call redoing a step redoes the same task.
      work.difficulty = session.difficulties[session.call]!;
      work.difficultyEstimate = session.estimates[session.call]!;
    }
    this.client.arrive(work, session);
  }

  sessionDone(session: Session): void {
    this.probe.sessionEnded(session, this.scheduler.now());
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
