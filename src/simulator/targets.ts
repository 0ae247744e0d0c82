/**
 * Gateway targets for a scenario's providers: one per provider, or one per replica for a GPU pool
 * exposed as replicas (named `pool/i`), plus the scraper that refreshes self-hosted targets'
 * gauges every scrape interval (stale in between, by design).
 */
import type { Scheduler } from '../engine/clock.ts';
import { TargetState } from '../gateway/target.ts';
import type { Attempt } from '../providers/attempt.ts';
import { FaultyProvider, unwrapFaults } from '../providers/faults/faulty-provider.ts';
import { GpuPool } from '../providers/gpu/gpu-pool.ts';
import type { Provider } from '../providers/provider.ts';
import type { Scenario } from '../scenario/schema.ts';

export function createTargets(scenario: Scenario, providers: readonly Provider[]): TargetState[] {
  const targets: TargetState[] = [];
  providers.forEach((provider, providerIndex) => {
    const config = scenario.providers[providerIndex]!;
    const pool = unwrapFaults(provider);
    if (pool instanceof GpuPool && config.kind === 'gpu' && config.expose === 'replicas') {
      pool.replicas.forEach((_, r) => {
        targets.push(
          new TargetState(
            targets.length,
            `${provider.name}/${r}`,
            replicaBackend(provider, pool, r),
            providerIndex,
            config.pricing,
          ),
        );
      });
    } else {
      targets.push(new TargetState(targets.length, provider.name, provider, providerIndex, config.pricing));
    }
  });
  return targets;
}

/** A provider facade that submits to one replica of a pool (through the pool's fault wrapper). */
function replicaBackend(provider: Provider, pool: GpuPool, replica: number): Provider {
  const faulty = provider instanceof FaultyProvider ? provider : undefined;
  return {
    name: pool.name,
    kind: pool.kind,
    models: pool.models,
    faults: pool.faults,
    capacity: 1,
    submit: (a: Attempt) => {
      if (!faulty || faulty.passes(a)) pool.submitTo(replica, a);
    },
    cancel: (a: Attempt) => provider.cancel(a),
    faultsChanged: () => provider.faultsChanged(),
    inService: () => pool.replicas[replica]!.runningCount,
    queued: () => pool.replicas[replica]!.waitingCount,
    utilization: (now: number) => pool.utilization(now),
  };
}

/** Starts the periodic scrape of every GPU pool's targets. */
export function startScrapers(
  scheduler: Scheduler,
  scenario: Scenario,
  providers: readonly Provider[],
  targets: readonly TargetState[],
): void {
  providers.forEach((wrapped, providerIndex) => {
    const config = scenario.providers[providerIndex]!;
    const provider = unwrapFaults(wrapped);
    if (!(provider instanceof GpuPool) || config.kind !== 'gpu') return;
    const mine = targets.filter((t) => t.providerIndex === providerIndex);
    const interval = config.scrapeInterval ?? (config.expose === 'replicas' ? 50 : 1000);
    const scrape = () => {
      const now = scheduler.now();
      if (config.expose === 'replicas') {
        mine.forEach((t, r) => {
          const replica = provider.replicas[r]!;
          t.scraped = {
            waiting: replica.waitingCount,
            running: replica.runningCount,
            kvUsage: replica.kvUsage,
            atMs: now,
          };
        });
      } else {
        mine[0]!.scraped = {
          waiting: provider.queued(),
          running: provider.inService(),
          kvUsage: provider.kvUsage(),
          atMs: now,
        };
      }
      scheduler.after(interval, scrape, undefined);
    };
    scrape();
  });
}
