/**
 * Gateway targets for a scenario's providers: one per provider, or one per replica (named
 * `provider/id`) for a provider made of replicas that the scenario exposes (`expose: replicas`),
 * plus the scraper that refreshes the gauges of targets whose provider exposes them, every scrape
 * interval (stale in between, by design). Providers are told apart by their facets, never by kind.
 */
import type { Scheduler } from '../engine/clock.ts';
import type { Gateway } from '../gateway/pipeline.ts';
import type { ScrapedMetrics } from '../gateway/policy.ts';
import type { TargetSpec, TargetState } from '../gateway/target.ts';
import type { Attempt } from '../providers/attempt.ts';
import type { LoadGauges, Provider, ReplicaSet } from '../providers/provider.ts';
import type { ProviderConfig, Scenario } from '../scenario/schema.ts';

/** A target a provider offers the gateway, and what attempts to it are submitted to. */
export interface ProvidedTarget extends TargetSpec {
  readonly backend: Provider;
}

/** A target that joined the gateway, with its backend (which the gateway keeps to itself). */
export interface JoinedTarget {
  readonly state: TargetState;
  readonly backend: Provider;
}

/**
 * The targets of a scenario's providers, in scenario order: one per provider, or one per replica
 * of a provider made of replicas that the scenario exposes as such.
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
    const replicas = provider.replicas;
    if (replicas && scrapeSettings(config).exposeReplicas) {
      for (let i = 0; i < replicas.count; i++) {
        const id = replicas.idAt(i);
        targets.push(target(`${provider.name}/${id}`, replicaBackend(provider, replicas, id)));
      }
    } else {
      targets.push(target(provider.name, provider));
    }
  });
  return targets;
}

/** Joins every provider's targets to the gateway, in scenario order. */
export function addTargets(
  gateway: Gateway,
  scenario: Scenario,
  providers: readonly Provider[],
): JoinedTarget[] {
  return targetsOf(scenario, providers).map((t) => ({
    state: gateway.addTarget(t, t.backend),
    backend: t.backend,
  }));
}

/** A provider facade for replica `id` of `provider`: submits to it and shows its gauges. */
export function replicaBackend(provider: Provider, replicas: ReplicaSet, id: number): Provider {
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
 * Starts the periodic scrape of every target whose backend exposes gauges (a pool seen as one
 * target: the pool's; a replica: its own), at its provider's scrape interval. A target that left
 * the gateway is scraped no more.
 */
export function startScrapers(
  scheduler: Scheduler,
  scenario: Scenario,
  providers: readonly Provider[],
  targets: readonly JoinedTarget[],
): void {
  providers.forEach((provider, providerIndex) => {
    if (provider.gauges() === undefined) return; // a hosted API: nothing to scrape
    const { exposeReplicas, intervalMs } = scrapeSettings(scenario.providers[providerIndex]!);
    const mine = targets.filter((t) => t.state.providerIndex === providerIndex);
    const interval = intervalMs ?? (exposeReplicas ? 50 : 1000);
    const scrape = () => {
      const now = scheduler.now();
      for (const t of mine) {
        const g = t.state.active ? t.backend.gauges() : undefined;
        if (g) t.state.scraped = scraped(g, now);
      }
      scheduler.after(interval, scrape, undefined);
    };
    scrape();
  });
}

/**
 * Subscribes the gateway to the KV-cache events of every provider that sends them, when routing
 * listens: a replica's events go to its own target, or to the pool's when the gateway sees the
 * pool as one target.
 */
export function startKvEvents(
  gateway: Gateway,
  providers: readonly Provider[],
  targets: readonly JoinedTarget[],
): void {
  if (!gateway.wantsKvEvents) return;
  providers.forEach((provider, providerIndex) => {
    if (!provider.subscribeKvEvents) return;
    const mine = targets.filter((t) => t.state.providerIndex === providerIndex);
    const byName = new Map(mine.map((t) => [t.state.name, t.state.index]));
    const poolTarget = byName.get(provider.name);
    provider.subscribeKvEvents((replicaId, kind, keys) => {
      const target = poolTarget ?? byName.get(`${provider.name}/${replicaId}`);
      if (target !== undefined) gateway.kvCacheEvent(target, kind, keys);
    });
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
