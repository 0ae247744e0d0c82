/**
 * Gateway targets for a scenario's providers: one per provider, or one per replica (named
 * `provider/id`) for a provider made of replicas that the scenario exposes (`expose: replicas`),
 * plus the scraper that refreshes the gauges of targets whose provider exposes them, every scrape
 * interval (stale in between, by design). Providers are told apart by their facets, never by kind.
 */
import type { Scheduler } from '../engine/clock.ts';
import type { ScrapedMetrics } from '../gateway/policy.ts';
import { TargetState } from '../gateway/target.ts';
import type { Attempt } from '../providers/attempt.ts';
import type { LoadGauges, Provider, ReplicaSet } from '../providers/provider.ts';
import type { ProviderConfig, Scenario } from '../scenario/schema.ts';

export function createTargets(scenario: Scenario, providers: readonly Provider[]): TargetState[] {
  const targets: TargetState[] = [];
  providers.forEach((provider, providerIndex) => {
    const config = scenario.providers[providerIndex]!;
    const replicas = provider.replicas;
    if (replicas && scrapeSettings(config).exposeReplicas) {
      for (let i = 0; i < replicas.count; i++) {
        const id = replicas.idAt(i);
        targets.push(
          new TargetState(
            targets.length,
            `${provider.name}/${id}`,
            replicaBackend(provider, replicas, id),
            providerIndex,
            config.pricing,
          ),
        );
      }
    } else {
      targets.push(new TargetState(targets.length, provider.name, provider, providerIndex, config.pricing));
    }
  });
  return targets;
}

/** A provider facade for replica `id` of `provider`: submits to it and shows its gauges. */
function replicaBackend(provider: Provider, replicas: ReplicaSet, id: number): Provider {
  return {
    name: provider.name,
    kind: provider.kind,
    models: provider.models,
    faults: provider.faults,
    capacity: 1,
    contextWindow: provider.contextWindow,
    submit: (a: Attempt) => replicas.submitTo(id, a),
    cancel: (a: Attempt) => provider.cancel(a),
    faultsChanged: () => provider.faultsChanged(),
    inService: () => replicas.gauges(id).running,
    queued: () => replicas.gauges(id).waiting,
    utilization: (now: number) => provider.utilization(now),
    deliveredTokens: (a: Attempt, now: number) => provider.deliveredTokens(a, now),
    gauges: () => replicas.gauges(id),
  };
}

/**
 * Starts the periodic scrape of the targets of every provider that exposes gauges: the pool's
 * gauges for a pool seen as one target, each replica's for targets that are replicas (made by
 * `createTargets` in replica order).
 */
export function startScrapers(
  scheduler: Scheduler,
  scenario: Scenario,
  providers: readonly Provider[],
  targets: readonly TargetState[],
): void {
  providers.forEach((provider, providerIndex) => {
    if (provider.gauges() === undefined) return; // a hosted API: nothing to scrape
    const { exposeReplicas, intervalMs } = scrapeSettings(scenario.providers[providerIndex]!);
    const mine = targets.filter((t) => t.providerIndex === providerIndex);
    const replicas = exposeReplicas ? provider.replicas : undefined;
    const ids = replicas ? mine.map((_, i) => replicas.idAt(i)) : [];
    const interval = intervalMs ?? (exposeReplicas ? 50 : 1000);
    const scrape = () => {
      const now = scheduler.now();
      if (replicas) {
        mine.forEach((t, i) => {
          t.scraped = scraped(replicas.gauges(ids[i]!), now);
        });
      } else mine[0]!.scraped = scraped(provider.gauges()!, now);
      scheduler.after(interval, scrape, undefined);
    };
    scrape();
  });
}

function scraped(g: LoadGauges, atMs: number): ScrapedMetrics {
  return { waiting: g.waiting, running: g.running, kvUsage: g.kvUsage, atMs };
}

/**
 * The scenario's settings for targets and scraping. Only a GPU pool's config has them (`expose`,
 * `scrapeInterval`); what a provider can do is asked of its facets.
 */
function scrapeSettings(config: ProviderConfig): { exposeReplicas: boolean; intervalMs: number | undefined } {
  if (config.kind !== 'gpu') return { exposeReplicas: false, intervalMs: undefined };
  return { exposeReplicas: config.expose === 'replicas', intervalMs: config.scrapeInterval };
}
