/**
 * Provider models, one folder per `kind`. Reading guide: provider.ts (the contract),
 * attempt.ts (what flows through it), then queue/ (the simplest model), api/, and gpu/
 * (catalog.ts, time-model.ts, replica.ts, gpu-pool.ts).
 */
import type { Scheduler } from '../engine/clock.ts';
import { type LuckMode, RequestLuck } from '../engine/luck.ts';
import type { RngStreams } from '../engine/rng.ts';
import type { ProviderConfig } from '../scenario/schema.ts';
import { ApiProvider } from './api/index.ts';
import { NO_OUTPUT_FAULTS, type OutputFaults } from './faults/fault-state.ts';
import { FaultyProvider } from './faults/faulty-provider.ts';
import { DisaggregatedPool } from './gpu/disaggregated-pool.ts';
import { GpuPool } from './gpu/gpu-pool.ts';
import { resolveDisaggregatedSetup, resolveGpuSetup } from './gpu/setup.ts';
import type { AttemptSink, Provider } from './provider.ts';
import { QueueProvider } from './queue/index.ts';

export type { Attempt, AttemptStatus } from './attempt.ts';
export type { AttemptSink, Provider } from './provider.ts';

export interface CreateProviderOptions {
  /**
   * Put the fault wrapper over the provider (default true). A provider no fault names can do
   * without it: the wrapper would only pass every call through.
   */
  faults?: boolean;
  /**
   * Whose luck an attempt meets (engine/luck.ts): `arrival` (default) the provider's stream in the
   * order attempts reach it; `request` its own, by the request's traffic key (the API provider's
   * TTFT and speed, and the fault wrapper's error-rate and stream-cut draws; a queue or GPU
   * provider keeps its stream). `request` keeps an API provider's fault wrapper, which counts the
   * attempts.
   */
  luck?: LuckMode;
}

/**
 * Builds the provider a config describes, with its own random streams, under the fault wrapper
 * (outage, hang, error rate and stream cut apply the same way to every kind) unless told it will
 * have no faults.
 */
export function createProvider(
  config: ProviderConfig,
  scheduler: Scheduler,
  sink: AttemptSink,
  streams: RngStreams,
  options: CreateProviderOptions = {},
): Provider {
  const rng = streams.get(`provider/${config.name}`);
  // Request luck keys the draws an attempt has: an API provider's latency, and the fault
  // wrapper's. A queue or GPU provider without faults has none, so it needs no counting.
  const keyed = options.luck === 'request' && (config.kind === 'api' || options.faults !== false);
  const luck = keyed ? new RequestLuck(streams.seed, config.name) : undefined;
  const build = (s: AttemptSink, faults: OutputFaults): Provider => {
    switch (config.kind) {
      case 'queue':
        return new QueueProvider(config, scheduler, s, rng, faults);
      case 'api':
        return new ApiProvider(config, scheduler, s, rng, faults, luck);
      case 'gpu':
        if (config.disaggregation?.enabled)
          return new DisaggregatedPool(resolveDisaggregatedSetup(config), scheduler, s, rng, faults);
        return new GpuPool(resolveGpuSetup(config), scheduler, s, rng, faults);
    }
  };
  if (options.faults === false && !luck) return build(sink, NO_OUTPUT_FAULTS);
  const faultRng = streams.get(`provider/${config.name}/faults`);
  return new FaultyProvider(build, scheduler, sink, faultRng, {
    answerMs: config.kind === 'api' ? config.rtt : 0,
    ...(luck ? { luck } : {}),
  });
}
