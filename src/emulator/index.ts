/**
 * The provider emulator: the simulator's provider and fault models on the wall clock, behind an
 * OpenAI-compatible HTTP API. Reading guide: wall-clock.ts (the Scheduler that paces the models
 * against real time), server.ts (routes, requests to attempts, attempts to answers; a stream
 * writes the tokens its provider's `deliveredTokens` says are out), openai.ts (the wire format),
 * metrics.ts (Prometheus text); against hostile requests: limits.ts (the caps), http-guard.ts
 * (deadlines and Node's refusals), body.ts (reading a capped JSON body), write-parts.ts (long
 * answers at the client's pace), listen.ts (listen failures as FG_EMULATOR_LISTEN). User guide:
 * docs/guide/emulator.md.
 */
export { DEFAULT_LIMITS, type EmulatorLimits } from './limits.ts';
export {
  type Emulator,
  type EmulatorOptions,
  type EmulatorStats,
  type ProviderCounts,
  startEmulator,
} from './server.ts';
export { type LagReport, type WallClockOptions, WallClockScheduler } from './wall-clock.ts';
