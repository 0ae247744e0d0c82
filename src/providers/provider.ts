import type { Attempt } from './attempt.ts';
import type { FaultState } from './faults/fault-state.ts';

/** Receives every attempt a provider finishes, exactly once each. */
export interface AttemptSink {
  attemptDone(attempt: Attempt): void;
}

/**
 * Provider: a model of something that serves attempts (a queue of servers, a hosted API, a GPU
 * pool). One implementation per `kind`, in its own folder. Providers schedule through a
 * `Scheduler`, so the same object runs in simulation and in the emulator.
 *
 * Contract (checked by test/providers/provider.case.ts): every submitted attempt reaches
 * `sink.attemptDone` exactly once, unless it was cancelled while queued or hangs in a fault;
 * `status` is never 'pending' when reported; `endMs >= startMs`.
 */
export interface Provider {
  readonly name: string;
  readonly kind: string;
  /** Model names served. */
  readonly models: readonly string[];
  /** Faults in force (the fault timeline mutates it and calls `faultsChanged`). */
  readonly faults: FaultState;
  submit(attempt: Attempt): void;
  /** The gateway stopped waiting for `attempt` (timeout or client cancel). */
  cancel(attempt: Attempt): void;
  faultsChanged(): void;
  /** Ground truth for metrics only (never shown to policies). */
  inService(): number;
  queued(): number;
  /** Busy capacity-time so far over available capacity-time, in [0, 1]. */
  utilization(nowMs: number): number;
  /** Concurrent capacity (servers, slots, replicas), before faults. */
  readonly capacity: number;
  /** Mean KV-cache use of a self-hosted pool in [0, 1] (ground truth; time series only). */
  kvUsage?(): number;
  /** Model-specific figures for the result (a GPU pool's iterations, preemptions...). */
  stats?(nowMs: number): Record<string, number | string>;
}
