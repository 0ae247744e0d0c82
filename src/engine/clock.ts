import type { EventHandler, TimerHandle } from './heap.ts';

/**
 * Scheduler: what models see of time. Providers, workload and gateway code schedule through
 * this interface only, so the same model runs on the virtual clock (Simulation) or the wall
 * clock (the emulator). Times are milliseconds.
 */
export interface Scheduler {
  /** Current time in ms since the start of the run. */
  now(): number;
  /**
   * Runs `handler(payload)` at `timeMs` (>= now). Equal times run in scheduling order. Returns a
   * handle for `cancel`.
   */
  at<T>(timeMs: number, handler: EventHandler<T>, payload: T): TimerHandle;
  /**
   * Runs `handler(payload)` now, after every other event due at this instant, including ones
   * scheduled later for it: work that must see all of an instant's arrivals (a model server's
   * engine loop drains its input queue before it forms a batch).
   */
  atEndOfInstant<T>(handler: EventHandler<T>, payload: T): TimerHandle;
  /** Runs `handler(payload)` `delayMs` (>= 0) from now. Returns a handle for `cancel`. */
  after<T>(delayMs: number, handler: EventHandler<T>, payload: T): TimerHandle;
  /**
   * Like `after`, for periodic housekeeping that reschedules itself (an autoscaler's scrapes,
   * syncs and polls): it runs as any other event, but does not keep a run without an end going
   * (`Simulation.run(Infinity)` returns once nothing else is pending). The wall clock runs it as
   * `after`.
   */
  afterDaemon<T>(delayMs: number, handler: EventHandler<T>, payload: T): TimerHandle;
  /**
   * Unschedules a pending event: it will not run, and its handler and payload are dropped now
   * (an attempt's timeout, cancelled when the attempt ends, does not wait in the queue). Returns
   * false, changing nothing, when the event already ran or was cancelled.
   */
  cancel(handle: TimerHandle): boolean;
  /**
   * Only on the virtual clock: `cancel(handle)` then `at(timeMs, ...)` with the same handler and
   * payload, in one step; returns the new handle (0, changing nothing, if the event is not pending).
   */
  reschedule?(handle: TimerHandle, timeMs: number): TimerHandle;
  /**
   * Only on the virtual clock: counts `count` events that a model folded into one it scheduled (a
   * GPU replica's planned run of decode iterations), so a run reports the same event count with
   * and without folding. A model folds steps only when its scheduler has this: on the wall clock
   * each step must happen in real time.
   */
  countFolded?(count: number): void;
}
