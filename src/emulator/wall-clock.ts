import type { Scheduler } from '../engine/clock.ts';
import { type EventHandler, EventQueue, type TimerHandle } from '../engine/heap.ts';

/** What the wall clock reports when it falls behind real time. */
export interface LagReport {
  /** How far behind the latest late event ran, in real milliseconds. */
  lagMs: number;
  /** Simulated time that event was due (ms since start). */
  dueMs: number;
  /** Events that ran late by more than the threshold since the previous report. */
  lateEvents: number;
  /** A one-line message for people. */
  message: string;
}

export interface WallClockOptions {
  /**
   * Simulated milliseconds per real millisecond (default 1). 10 runs the models ten times faster
   * than real time: a 400 ms TTFT arrives after 40 ms, a 60 rpm limit admits 10 requests a second.
   */
  timeScale?: number;
  /** Real milliseconds an event may run late before it counts as falling behind (default 100). */
  lagThresholdMs?: number;
  /** Real milliseconds between two lag reports (default 5000): loud, not a flood. */
  reportEveryMs?: number;
  /** Receives lag reports (the CLI prints them on stderr). */
  onLag?: (report: LagReport) => void;
  /**
   * Receives an exception thrown by an event dispatched from the scheduler's own timer (a model
   * bug). Default: rethrown, so it surfaces as an uncaught exception.
   */
  onError?: (error: unknown) => void;
  /** Real-time source in ms (default `performance.now`); tests pass a fake one. */
  realNow?: () => number;
}

/** Longest single timer (setTimeout's limit is 2^31 - 1 ms); longer waits re-arm. */
const MAX_TIMER_MS = 1_000_000_000;

/**
 * WallClockScheduler: the `Scheduler` of the emulator. The same provider and fault objects the
 * simulator drives on its virtual clock run here against real time, scaled by `timeScale`
 * (simulated ms = real ms since `start()` x timeScale).
 *
 * Time only advances in `runDue()` (the wall-clock twin of `Simulation.run`): it dispatches every
 * event due by the current real time, in (time, insertion) order from the engine's heap, and
 * while an event runs `now()` is that event's own time, so models compute exactly what they
 * would in a simulation even when the timer fires late. Between calls `now()` stays where the
 * last `runDue()` left it, so a synchronous stretch of code (an HTTP handler submitting an
 * attempt) sees one instant, and scheduling at `now()` never throws. Callers that bring input
 * from outside (a request arrives, a client disconnects, the stream ticker) call `runDue()`
 * first; one timer, armed for the earliest event, calls it otherwise.
 *
 * Falling behind: when an event runs more than `lagThresholdMs` real ms after it was due (the
 * process is saturated, or the time scale is too high for the load), `onLag` hears about it, at
 * most once per `reportEveryMs`, with the lag and how many events were late (SimPy's strict
 * real-time mode raises instead; an emulator under load should keep serving and say so).
 *
 * Worked example (timeScale 10): start() at real 1000 ms; at real 1005 ms an HTTP handler calls
 * runDue() (now() = 50) and the provider schedules its completion at 450 (a 400 ms TTFT); the
 * timer fires at real ~1045 ms and runDue() dispatches it with now() = 450.
 */
export class WallClockScheduler implements Scheduler {
  readonly timeScale: number;
  private readonly queue = new EventQueue();
  private readonly realNow: () => number;
  private readonly lagThresholdMs: number;
  private readonly reportEveryMs: number;
  private readonly onLag: ((report: LagReport) => void) | undefined;
  private readonly onError: ((error: unknown) => void) | undefined;
  private startReal = Number.NaN;
  private clockMs = 0;
  private running = false;
  private dispatching = false;
  /** Timer armed for `armedAtMs` (simulated), if any. */
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private timerIsImmediate = false;
  private armedAtMs = Number.POSITIVE_INFINITY;
  private lastReportReal = Number.NEGATIVE_INFINITY;
  private lateSinceReport = 0;
  private worstSinceReport = 0;
  private worstDueMs = 0;
  /** Events dispatched, events late by more than the threshold, the worst lag seen (real ms). */
  events = 0;
  lateEvents = 0;
  maxLagMs = 0;
  private readonly onTimer = () => {
    this.timer = undefined;
    this.armedAtMs = Number.POSITIVE_INFINITY;
    if (!this.onError) {
      this.runDue();
      return;
    }
    try {
      this.runDue();
    } catch (e) {
      this.onError(e);
    }
  };

  constructor(options: WallClockOptions = {}) {
    const scale = options.timeScale ?? 1;
    if (!(scale > 0) || !Number.isFinite(scale))
      throw new Error(`time scale must be a positive number, got ${scale}`);
    this.timeScale = scale;
    this.realNow = options.realNow ?? (() => performance.now());
    this.lagThresholdMs = options.lagThresholdMs ?? 100;
    this.reportEveryMs = options.reportEveryMs ?? 5000;
    this.onLag = options.onLag;
    this.onError = options.onError;
  }

  /** Simulated time now (ms since start); see the class comment for when it advances. */
  now(): number {
    return this.clockMs;
  }

  /** Simulated time the real clock has reached (ms since start), whether or not events caught up. */
  realTimeMs(): number {
    return this.running ? (this.realNow() - this.startReal) * this.timeScale : this.clockMs;
  }

  /** Events waiting. */
  get pending(): number {
    return this.queue.size;
  }

  at<T>(timeMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    if (!(timeMs >= this.clockMs)) {
      throw new Error(`event scheduled at ${timeMs} ms, before the current time ${this.clockMs} ms`);
    }
    const handle = this.queue.push(timeMs, handler, payload);
    if (this.running && !this.dispatching && timeMs < this.armedAtMs) this.arm();
    return handle;
  }

  atEndOfInstant<T>(handler: EventHandler<T>, payload: T): TimerHandle {
    const handle = this.queue.push(this.clockMs, handler, payload, 1);
    if (this.running && !this.dispatching && this.clockMs < this.armedAtMs) this.arm();
    return handle;
  }

  after<T>(delayMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    if (!(delayMs >= 0)) throw new Error(`event scheduled with negative or NaN delay ${delayMs} ms`);
    return this.at(this.clockMs + delayMs, handler, payload);
  }

  /** The emulator serves until it is stopped: housekeeping is an ordinary event. */
  afterDaemon<T>(delayMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    return this.after(delayMs, handler, payload);
  }

  /** Unschedules a pending event; the timer moves on to the next one if it was armed for it. */
  cancel(handle: TimerHandle): boolean {
    if (!this.queue.cancel(handle)) return false;
    if (this.running && !this.dispatching) this.arm();
    return true;
  }

  /** Starts the clock at simulated time 0 (events scheduled before start wait for it). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startReal = this.realNow() - this.clockMs / this.timeScale;
    this.arm();
  }

  /** Stops dispatching: clears the timer; pending events never run. */
  stop(): void {
    this.running = false;
    this.disarm();
  }

  /**
   * Dispatches every event due by the real clock, in order, then leaves `now()` at the real time.
   * Returns the number of events dispatched. Re-entrant calls (from inside an event) do nothing.
   */
  runDue(): number {
    if (!this.running || this.dispatching) return 0;
    const limit = this.realTimeMs();
    const queue = this.queue;
    let n = 0;
    this.dispatching = true;
    try {
      while (queue.size > 0 && queue.peekTime() <= limit && this.running) {
        queue.pop();
        const due = queue.poppedTimeMs;
        this.clockMs = due;
        const lagMs = (limit - due) / this.timeScale;
        if (lagMs > this.lagThresholdMs) this.noteLate(lagMs, due);
        queue.poppedHandler(queue.poppedPayload);
        n++;
      }
      if (limit > this.clockMs) this.clockMs = limit;
    } finally {
      this.dispatching = false;
      this.events += n;
      // Even after an event threw (reported to onError), the events after it still get a timer.
      this.arm();
    }
    this.report();
    return n;
  }

  private noteLate(lagMs: number, dueMs: number): void {
    this.lateEvents++;
    this.lateSinceReport++;
    if (lagMs > this.maxLagMs) this.maxLagMs = lagMs;
    if (lagMs > this.worstSinceReport) {
      this.worstSinceReport = lagMs;
      this.worstDueMs = dueMs;
    }
  }

  private report(): void {
    if (this.lateSinceReport === 0) return;
    const real = this.realNow();
    if (real - this.lastReportReal < this.reportEveryMs) return;
    this.lastReportReal = real;
    const lagMs = this.worstSinceReport;
    const report: LagReport = {
      lagMs,
      dueMs: this.worstDueMs,
      lateEvents: this.lateSinceReport,
      message:
        `falling behind real time: ${this.lateSinceReport} event${this.lateSinceReport === 1 ? '' : 's'} ran ` +
        `more than ${this.lagThresholdMs} ms late (worst ${lagMs.toFixed(0)} ms, due at ` +
        `${(this.worstDueMs / 1000).toFixed(3)} s simulated); latencies measured against this ` +
        `emulator are inflated: lower the load or the time scale`,
    };
    this.lateSinceReport = 0;
    this.worstSinceReport = 0;
    this.onLag?.(report);
  }

  /** Arms the one timer for the earliest pending event (or none). */
  private arm(): void {
    if (!this.running) return;
    const next = this.queue.peekTime();
    if (next === this.armedAtMs && this.timer !== undefined) return;
    this.disarm();
    if (next === Number.POSITIVE_INFINITY) return;
    this.armedAtMs = next;
    const delayReal = (next - this.realTimeMs()) / this.timeScale;
    if (delayReal <= 0) {
      this.timerIsImmediate = true;
      this.timer = setImmediate(this.onTimer);
    } else {
      this.timerIsImmediate = false;
      // setTimeout rounds below 1 ms up to 1 ms; an event that is a fraction of a ms away waits
      // that long at most (and runs with its own time as now()).
      this.timer = setTimeout(this.onTimer, Math.min(MAX_TIMER_MS, delayReal));
    }
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) {
      if (this.timerIsImmediate) clearImmediate(this.timer as NodeJS.Immediate);
      else clearTimeout(this.timer as NodeJS.Timeout);
    }
    this.timer = undefined;
    this.armedAtMs = Number.POSITIVE_INFINITY;
  }
}
