/**
 * Agent sessions: a closed loop inside the open loop. Sessions arrive on the class's rate
 * timeline; each is a chain of LLM calls where a call starts only after the previous one ended
 * and the agent's tool/think time passed, so a slow provider slows the session down instead of
 * piling up more calls (FG-4 still holds for session arrivals).
 *
 * Everything a session will draw (call count, output sizes, tool outputs, think times) is drawn
 * when it arrives, from the class's own stream: the sessions are the same whatever the policy;
 * only their timing depends on the system.
 *
 * Lifecycle: arrived -> call k in flight -> (ok: think, then call k+1 | failed: retry or abort)
 * -> completed | aborted (| unfinished at the end of the drain).
 */
import type { Scheduler } from '../engine/clock.ts';
import { createDistribution, type Distribution } from '../engine/dist/index.ts';
import type { Random } from '../engine/rng.ts';
import type { ClassConfig } from '../scenario/schema.ts';
import type { DifficultyDraws } from './quality.ts';
import type { Request } from './request.ts';

/**
 * Quality in agent sessions (docs/concepts/quality.md): each step of a session's task has a
 * difficulty (drawn at the session's arrival, like the rest of its plan); an ok call advances the
 * task by 1 / the serving model's `sessionCalls` factor of a step, so a weaker model needs more
 * calls for the same task (and the cheapest model per call is not always the cheapest per session).
 */
export interface SessionQuality {
  readonly draws: DifficultyDraws;
  /** Calls the model behind provider `providerIndex` needs per step (>= 1). */
  sessionCallsOf(providerIndex: number): number;
  /** A session that has made this many times its planned calls gives up (aborted); Infinity: never. */
  readonly giveUpAfter: number;
}

export class Session {
  /** Runs this session: told when each of its calls ends. */
  readonly runner: SessionRunner;
  readonly id: number;
  readonly classIndex: number;
  /** The session's place among its class's arrivals (its calls' traffic keys name it). */
  readonly ordinal: number;
  readonly arrivalMs: number;
  readonly measured: boolean;
  /** Per call: output tokens, tool output appended after it, think time before the next call. */
  readonly outputs: number[];
  readonly tools: number[];
  readonly thinks: number[];
  /** Tokens of context so far (the next call's prompt, before truncation). */
  context: number;
  /** Step of the task in flight or next (the call index without quality); retries left for it. */
  call = 0;
  retriesLeft: number;
  callsMade = 0;
  costUsd = 0;
  inputTokens = 0;
  outputTokens = 0;
  state: 'running' | 'completed' | 'aborted' = 'running';
  /** Calls that ended ok, and the tokens the last of them appended to the context (its answer and tool output). */
  okCalls = 0;
  appended = 0;
  /** With quality: steps of the task done (fractional: a weak model's call does part of a step). */
  progress = 0;
  /** With quality: per step, its difficulty and the estimate routers see (empty without). */
  readonly difficulties: number[] = [];
  readonly estimates: number[] = [];

  constructor(
    runner: SessionRunner,
    id: number,
    classIndex: number,
    ordinal: number,
    arrivalMs: number,
    measured: boolean,
    firstPrompt: number,
    outputs: number[],
    tools: number[],
    thinks: number[],
    retries: number,
  ) {
    this.runner = runner;
    this.id = id;
    this.classIndex = classIndex;
    this.ordinal = ordinal;
    this.arrivalMs = arrivalMs;
    this.measured = measured;
    this.context = firstPrompt;
    this.outputs = outputs;
    this.tools = tools;
    this.thinks = thinks;
    this.retriesLeft = retries;
  }
}

/** What the session runner needs from the workload and the metrics. */
export interface SessionHost {
  /** Sends call `k` of `session` now, with the given sizes; `cachedPrefix` tokens repeat the previous context. */
  sendCall(session: Session, promptTokens: number, outputTokens: number, cachedPrefix: number): void;
  sessionDone(session: Session): void;
}

export class SessionRunner {
  private readonly scheduler: Scheduler;
  private readonly host: SessionHost;
  private readonly config: NonNullable<ClassConfig['session']>;
  private readonly calls: Distribution;
  private readonly tools: Distribution;
  private readonly thinks: Distribution;
  private readonly rng: Random;
  private readonly quality: SessionQuality | undefined;
  /** Sessions started and not yet completed or aborted. */
  live = 0;
  private readonly onNextCall = (s: Session) => this.next(s);

  constructor(
    scheduler: Scheduler,
    host: SessionHost,
    config: NonNullable<ClassConfig['session']>,
    rng: Random,
    quality?: SessionQuality,
  ) {
    this.scheduler = scheduler;
    this.host = host;
    this.config = config;
    this.quality = quality;
    this.calls = createDistribution(config.calls);
    this.tools = createDistribution(config.toolTokens);
    this.thinks = createDistribution(config.thinkTime);
    this.rng = rng;
  }

  /** A session arrives: draw its whole plan, send its first call. */
  start(
    id: number,
    classIndex: number,
    ordinal: number,
    nowMs: number,
    measured: boolean,
    firstPrompt: number,
    output: Distribution,
  ): Session {
    const n = Math.max(1, Math.round(this.calls.sample(this.rng)));
    const outputs: number[] = [];
    const tools: number[] = [];
    const thinks: number[] = [];
    for (let i = 0; i < n; i++) {
      outputs.push(Math.max(1, Math.round(output.sample(this.rng))));
      tools.push(Math.max(0, Math.round(this.tools.sample(this.rng))));
      thinks.push(Math.max(0, this.thinks.sample(this.rng)));
    }
    const s = new Session(
      this,
      id,
      classIndex,
      ordinal,
      nowMs,
      measured,
      firstPrompt,
      outputs,
      tools,
      thinks,
      this.config.retries,
    );
    if (this.quality) {
      // From the class's quality streams, in session-arrival order: the same whatever the policy.
      const draw = { difficulty: 0, estimate: 0 };
      for (let i = 0; i < n; i++) {
        this.quality.draws.draw(classIndex, draw);
        s.difficulties.push(draw.difficulty);
        s.estimates.push(draw.estimate);
      }
    }
    this.live++;
    this.send(s, 0);
    return s;
  }

  /** A call of `s` ended (its request's terminal outcome). */
  callEnded(s: Session, req: Request): void {
    if (s.state !== 'running') return;
    s.costUsd += req.ticket.costUsd;
    s.inputTokens += req.work.promptTokens;
    if (req.outcome === 'ok') {
      s.outputTokens += req.ticket.okAttempt?.outputTokens ?? 0;
      // The next prompt is everything so far: context, this answer, the tool's output.
      const step = s.call;
      const previous = Math.min(s.context, this.config.maxContext);
      s.appended = s.outputs[step]! + s.tools[step]!;
      s.context = previous + s.appended;
      s.okCalls++;
      if (this.advance(s, req)) {
        s.call++;
        s.retriesLeft = this.config.retries;
      }
      if (s.call >= s.outputs.length) {
        this.end(s, 'completed');
        return;
      }
      if (this.quality && s.callsMade >= this.quality.giveUpAfter * s.outputs.length) {
        this.end(s, 'aborted');
        return;
      }
      this.scheduler.after(s.thinks[step]!, this.onNextCall, s);
      return;
    }
    if (s.retriesLeft > 0) {
      s.retriesLeft--;
      this.scheduler.after(s.thinks[s.call]!, this.onNextCall, s);
      return;
    }
    this.end(s, 'aborted');
  }

  /**
   * Did the ok call `req` finish the current step? Always without quality; with it, the call
   * does 1 / (its model's `sessionCalls`) of a step.
   */
  private advance(s: Session, req: Request): boolean {
    if (!this.quality) return true;
    const served = req.ticket.okAttempt!;
    s.progress += 1 / this.quality.sessionCallsOf(served.providerIndex);
    // A tolerance for sums of fractions (3 x 1/3 is a whole step).
    return s.progress >= s.call + 1 - 1e-9;
  }

  private next(s: Session): void {
    if (s.state === 'running') this.send(s, s.call);
  }

  private send(s: Session, k: number): void {
    const prompt = Math.max(1, Math.min(s.context, this.config.maxContext));
    // Every call after the first repeats the previous context: a prompt cache can reuse it.
    const cachedPrefix = s.okCalls === 0 ? 0 : Math.max(0, prompt - s.appended);
    s.callsMade++;
    this.host.sendCall(s, prompt, s.outputs[k]!, cachedPrefix);
  }

  private end(s: Session, state: 'completed' | 'aborted'): void {
    s.state = state;
    this.live--;
    this.host.sessionDone(s);
  }
}
