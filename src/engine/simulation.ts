import type { Scheduler } from './clock.ts';
import { type EventHandler, EventQueue, type TimerHandle } from './heap.ts';

/** Called every `progressEveryEvents` events with the simulated time; the CLI reads the wall clock. */
export type ProgressHook = (simTimeMs: number, events: number) => void;

export interface RunOptions {
  onProgress?: ProgressHook;
  /** Default 1<<16 events. */
  progressEveryEvents?: number;
}

/**
 * Simulation: the virtual clock and the run loop of the discrete-event engine.
 *
 * Only `run` advances time, always to the time of the event it pops, so time never goes back
 * (FG-2). Scheduling in the past throws: it is a bug in a model, not a user error.
 */
export class Simulation implements Scheduler {
  private readonly queue = new EventQueue();
  private clockMs = 0;
  private stopped = false;
  /** Pending housekeeping events (`afterDaemon`): they do not keep `run(Infinity)` going. */
  private readonly daemons = new Set<TimerHandle>();
  /** Events dispatched so far. */
  events = 0;

  now(): number {
    return this.clockMs;
  }

  get pending(): number {
    return this.queue.size;
  }

  at<T>(timeMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    if (!(timeMs >= this.clockMs)) {
      throw new Error(`event scheduled at ${timeMs} ms, before the current time ${this.clockMs} ms`);
    }
    return this.queue.push(timeMs, handler, payload);
  }

  /**
   * Like `at`, but runs before every other event at the same time (priority -1): bookkeeping at a
   * boundary, such as closing a time-series window, sees the state just before that instant.
   */
  atFirst<T>(timeMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    if (!(timeMs >= this.clockMs)) {
      throw new Error(`event scheduled at ${timeMs} ms, before the current time ${this.clockMs} ms`);
    }
    return this.queue.push(timeMs, handler, payload, -1);
  }

  atEndOfInstant<T>(handler: EventHandler<T>, payload: T): TimerHandle {
    return this.queue.push(this.clockMs, handler, payload, 1);
  }

  after<T>(delayMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    if (!(delayMs >= 0)) throw new Error(`event scheduled with negative or NaN delay ${delayMs} ms`);
    return this.queue.push(this.clockMs + delayMs, handler, payload);
  }

  afterDaemon<T>(delayMs: number, handler: EventHandler<T>, payload: T): TimerHandle {
    let handle = 0;
    handle = this.after(
      delayMs,
      (p: T) => {
        this.daemons.delete(handle);
        handler(p);
      },
      payload,
    );
    this.daemons.add(handle);
    return handle;
  }

  cancel(handle: TimerHandle): boolean {
    if (!this.queue.cancel(handle)) return false;
    // Most runs have no housekeeping: skip the set's hash lookup on every cancelled timer.
    if (this.daemons.size > 0) this.daemons.delete(handle);
    return true;
  }

  reschedule(handle: TimerHandle, timeMs: number): TimerHandle {
    if (!(timeMs >= this.clockMs)) {
      throw new Error(`event scheduled at ${timeMs} ms, before the current time ${this.clockMs} ms`);
    }
    // A housekeeping event moved is an ordinary one, as after cancel and at.
    if (this.daemons.size > 0) this.daemons.delete(handle);
    return this.queue.reschedule(handle, timeMs);
  }

  countFolded(count: number): void {
    this.events += count;
  }

  /** Makes `run` return after the current event. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Dispatches events in order until the next one is after `untilMs`, the queue is empty or
   * `stop()` is called. The clock ends at `untilMs` unless stopped early or the queue ran dry.
   * A run with no end (`untilMs` Infinity) also returns once only housekeeping (`afterDaemon`)
   * events are pending; a run to a finite time runs them up to it, as any other.
   */
  run(untilMs: number, options: RunOptions = {}): void {
    const queue = this.queue;
    const every = options.progressEveryEvents ?? 1 << 16;
    const onProgress = options.onProgress;
    let nextProgress = this.events + every;
    this.stopped = false;
    const endless = !Number.isFinite(untilMs);
    const daemons = this.daemons;
    // pop() says false when the queue is empty or its next event is after untilMs.
    while ((!endless || queue.size > daemons.size) && !this.stopped && queue.popUntil(untilMs)) {
      this.clockMs = queue.poppedTimeMs;
      queue.poppedHandler(queue.poppedPayload);
      if (++this.events >= nextProgress) {
        nextProgress += every;
        onProgress?.(this.clockMs, this.events);
      }
    }
    if (!this.stopped && queue.size > 0 && untilMs > this.clockMs && Number.isFinite(untilMs)) {
      this.clockMs = untilMs;
    }
  }
}
