import type { Scheduler } from '../../engine/clock.ts';
import type { FaultConfig } from '../../scenario/schema.ts';
import { gpuPoolOf } from '../gpu/autoscaler-for.ts';
import type { Provider } from '../provider.ts';

/**
 * Schedules each fault's start and end on the provider it names. At every boundary the
 * provider's `FaultState` is rebuilt from the faults then active (so overlaps compose and ending
 * one fault never cancels another) and the provider is told. A spot reclaim is an event, not a
 * state: at its start the GPU pool gets the notice and ends the replicas itself.
 */
export function scheduleFaults(
  scheduler: Scheduler,
  faults: readonly FaultConfig[],
  providers: ReadonlyMap<string, Provider>,
): void {
  const active = new Map<Provider, Set<FaultConfig>>();
  const apply = (provider: Provider) => {
    const state = provider.faults;
    state.reset();
    for (const f of active.get(provider) ?? []) {
      switch (f.kind) {
        case 'outage':
          state.outage = true;
          break;
        case 'hang':
          state.hang = true;
          break;
        case 'brownout':
          state.latency *= f.latency;
          state.errorRate = 1 - (1 - state.errorRate) * (1 - f.errorRate);
          break;
        case 'rate-limit-storm':
          state.limitFactor *= f.limitFactor;
          break;
        case 'capacity-loss':
          state.capacityFactor *= 1 - f.fraction;
          break;
        case 'spot-reclaim':
          break; // no state: the pool was given the notice at the start
        case 'metrics-outage':
          state.metricsDown = true;
          break;
        case 'stream-cut':
          state.streamCutAfter = Math.min(state.streamCutAfter, f.afterTokens);
          state.streamCutProbability = 1 - (1 - state.streamCutProbability) * (1 - f.probability);
          break;
      }
    }
    provider.faultsChanged();
  };
  for (const fault of faults) {
    const provider = providers.get(fault.provider);
    if (!provider) throw new Error(`fault names unknown provider ${fault.provider}`);
    if (fault.kind === 'spot-reclaim') {
      const pool = gpuPoolOf(provider);
      if (!pool) throw new Error(`spot reclaim names ${fault.provider}, not a GPU pool`);
      scheduler.at(fault.at, () => pool.reclaim(fault.replicas, fault.notice), undefined);
      continue;
    }
    scheduler.at(
      fault.at,
      () => {
        let set = active.get(provider);
        if (!set) active.set(provider, (set = new Set()));
        set.add(fault);
        apply(provider);
      },
      undefined,
    );
    scheduler.at(
      fault.at + fault.for,
      () => {
        active.get(provider)?.delete(fault);
        apply(provider);
      },
      undefined,
    );
  }
}
