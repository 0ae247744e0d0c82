import type { EventHandler } from './heap.ts';

/**
 * Scheduler: what models see of time. Providers, workload and gateway code schedule through
 * this interface only, so the same model runs on the virtual clock (Simulation) or the wall
 * clock (the emulator). Times are milliseconds.
 */
export interface Scheduler {
  /** Current time in ms since the start of the run. */
  now(): number;
  /** Runs `handler(payload)` at `timeMs` (>= now). Equal times run in scheduling order. */
  at<T>(timeMs: number, handler: EventHandler<T>, payload: T): void;
  /** Runs `handler(payload)` `delayMs` (>= 0) from now. */
  after<T>(delayMs: number, handler: EventHandler<T>, payload: T): void;
}
