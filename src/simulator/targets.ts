/**
 * Gateway targets for a scenario's providers: one per provider, or one per replica for a GPU pool
 * exposed as replicas (named `pool/i`), plus the scraper that refreshes self-hosted targets'
 * gauges every scrape interval (stale in between, by design).
 */
import type { Scheduler } from '../engine/clock.ts';
import type { Gateway } from '../gateway/pipeline.ts';
import type { TargetSpec, TargetState } from '../gateway/target.ts';
import type { Attempt } from '../providers/attempt.ts';
import { GpuPool } from '../providers/gpu/gpu-pool.ts';
import type { Provider } from '../providers/provider.ts';
import type { Scenario } from '../scenario/schema.ts';

/** A target a provider offers the gateway, and what attempts to it are submitted to. */
export interface ProvidedTarget extends TargetSpec {
  readonly backend: Provider;
}

/**
 * The targets of a scenario's providers, in scenario order: one per provider, or one per replica
 * of a GPU pool exposed as replicas.
 */
export function targetsOf(scenario: Scenario, providers: readonly Provider[]): ProvidedTarget[] {
  const targets: ProvidedTarget[] = [];
  providers.forEach((provider, providerIndex) => {
    const config = scenario.providers[providerIndex]!;
    const target = (name: string, backend: Provider): ProvidedTarget => ({
      name,
      provider: provider.name,
      providerIndex,
      kind: provider.kind,
      models: provider.models,
      inputPerMTok: config.pricing.inputPerMTok,
      outputPerMTok: config.pricing.outputPerMTok,
      backend,
    });
    if (provider instanceof GpuPool && config.kind === 'gpu' && config.expose === 'replicas') {
      provider.replicas.forEach((_, r) => {
        targets.push(target(`${provider.name}/${r}`, replicaBackend(provider, r)));
      });
    } else {
      targets.push(target(provider.name, provider));
    }
  });
  return targets;
}

/** Joins every provider's targets to the gateway, in scenario order, and returns them. */
export function addTargets(
  gateway: Gateway,
  scenario: Scenario,
  providers: readonly Provider[],
): TargetState[] {
  return targetsOf(scenario, providers).map((t) => gateway.addTarget(t, t.backend));
}

/** A provider facade that submits to one replica of a pool. */
function replicaBackend(pool: GpuPool, replica: number): Provider {
  return {
    name: pool.name,
    kind: pool.kind,
    models: pool.models,
    faults: pool.faults,
    capacity: 1,
    submit: (a: Attempt) => pool.submitTo(replica, a),
    cancel: (a: Attempt) => pool.cancel(a),
    faultsChanged: () => pool.faultsChanged(),
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
  providers.forEach((provider, providerIndex) => {
    const config = scenario.providers[providerIndex]!;
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
