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
    const target = (name: string, backend: Provider) =>
      providedTarget(config, provider, providerIndex, name, backend);
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

function providedTarget(
  config: ProviderConfig,
  provider: Provider,
  providerIndex: number,
  name: string,
  backend: Provider,
): ProvidedTarget {
  return {
    name,
    provider: provider.name,
    providerIndex,
    kind: provider.kind,
    models: provider.models,
    inputPerMTok: config.pricing.inputPerMTok,
    outputPerMTok: config.pricing.outputPerMTok,
    backend,
  };
}

/**
 * Joins every provider's targets to the gateway, in scenario order. Replicas exposed as targets
 * of a set that scales join later when they become ready (with new indices, after all others) and
 * leave when they start draining; the list returned grows as they join.
 */
export function addTargets(
  gateway: Gateway,
  scenario: Scenario,
  providers: readonly Provider[],
): JoinedTarget[] {
  const joined: JoinedTarget[] = targetsOf(scenario, providers).map((t) => ({
    state: gateway.addTarget(t, t.backend),
    backend: t.backend,
  }));
  providers.forEach((provider, providerIndex) => {
    const config = scenario.providers[providerIndex]!;
    const replicas = provider.replicas;
    if (!replicas?.watch || !scrapeSettings(config).exposeReplicas) return;
    // The replicas' targets joined above in position order.
    const byId = new Map<number, JoinedTarget>();
    const initial = joined.filter((t) => t.state.providerIndex === providerIndex);
    for (let i = 0; i < initial.length; i++) byId.set(replicas.idAt(i), initial[i]!);
    replicas.watch((id, change) => {
      if (change === 'ready') {
        const backend = replicaBackend(provider, replicas, id);
        const t = providedTarget(config, provider, providerIndex, `${provider.name}/${id}`, backend);
        const j = { state: gateway.addTarget(t, backend), backend };
        joined.push(j);
        byId.set(id, j);
      } else {
        const j = byId.get(id);
        if (j) gateway.removeTarget(j.state.index);
        byId.delete(id);
      }
    });
  });
  return joined;
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
    capacityTime: (now: number) => provider.capacityTime(now),
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
    let mine = targets.filter((t) => t.state.providerIndex === providerIndex);
    let known = targets.length;
    const interval = intervalMs ?? (exposeReplicas ? 50 : 1000);
    const scrape = () => {
      const now = scheduler.now();
      if (targets.length !== known) {
        // Replicas joined: scrape them too, and drop those that left.
        mine = targets.filter((t) => t.state.providerIndex === providerIndex && t.state.active);
        known = targets.length;
      }
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
    const byName = new Map<string, number>();
    let known = 0;
    /** The target named `name`, looking again at the list once targets have joined. */
    const lookup = (name: string): number | undefined => {
      for (; known < targets.length; known++) {
        const t = targets[known]!;
        if (t.state.providerIndex === providerIndex) byName.set(t.state.name, t.state.index);
      }
      return byName.get(name);
    };
    const poolTarget = lookup(provider.name);
    provider.subscribeKvEvents((replicaId, kind, keys) => {
      const target = poolTarget ?? lookup(`${provider.name}/${replicaId}`);
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
