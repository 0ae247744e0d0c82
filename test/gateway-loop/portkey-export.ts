/**
 * A scenario's gateway written as a Portkey config, for the bundled-scenario loops: the inverse of
 * `floodgate import portkey` for what both can say. Weighted random routing is a `loadbalance`, a
 * provider's fallback chain a `fallback` strategy over it and its chain, `retries.max` every
 * target's `retry.attempts` on the status codes of `retries.on`, `attemptTimeout` the
 * `request_timeout`. Anything else (admission control, health policies, hedging, retry budgets,
 * other routing policies) Portkey cannot express: it is refused by name, so the loop runs the
 * scenario with a documented `--set` that Portkey can express.
 *
 * One config per class: Portkey's targets do not filter by model, so a class's requests carry the
 * config over the providers that may serve it (its `models` and `providers`), as the simulator's
 * routing offers a class only those. Each leaf's `custom_host` is the emulator's path for its
 * provider; `leaves` names the provider of each leaf in the order the importer numbers them.
 */
import type { ProviderConfig, Scenario } from '../../src/scenario/schema.ts';

export interface ExportedConfig {
  config: Record<string, unknown>;
  /** The scenario provider behind each leaf target, in depth-first order (the importer's). */
  leaves: string[];
}

/** Status codes the emulator answers for an error kind (openai-chat; anthropic overloads are 529). */
const CODES: Readonly<Record<string, readonly number[]>> = {
  'rate-limited': [429],
  'server-error': [503],
  overloaded: [503, 529],
  timeout: [408],
  'stream-cut': [],
  quota: [429],
};

/** Why the gateway cannot be a Portkey config, one line each (empty: it can). */
export function inexpressible(gateway: Scenario['gateway']): string[] {
  const why: string[] = [];
  if (gateway.admission.policy !== 'always-admit')
    why.push(`admission ${gateway.admission.policy}: Portkey admits every request`);
  if (gateway.routing.policy !== 'random' || typeof gateway.routing.params['weights'] !== 'object')
    why.push(
      `routing ${gateway.routing.policy}: Portkey's loadbalance is weighted random (random with weights)`,
    );
  if (gateway.health)
    why.push(`health ${gateway.health.policy}: the open-source Portkey has no circuit breaker`);
  if (gateway.hedging) why.push('hedging: Portkey does not hedge');
  if (gateway.retries.budget) why.push('retries.budget: Portkey has no retry budget');
  if (gateway.fallbacksChangeModel) why.push('fallbacksChangeModel: Portkey targets are not model groups');
  return why;
}

export function portkeyConfigFor(
  scenario: Scenario,
  eligible: readonly string[],
  hostOf: (provider: string) => string,
): ExportedConfig {
  const g = scenario.gateway;
  const why = inexpressible(g);
  if (why.length > 0) throw new Error(`not expressible as a Portkey config: ${why.join('; ')}`);
  const weights = g.routing.params['weights'] as Record<string, number>;
  const codes = [...new Set(g.retries.on.flatMap((e) => CODES[e] ?? []))].sort((a, b) => a - b);
  const leaves: string[] = [];
  const byName = new Map<string, ProviderConfig>(scenario.providers.map((p) => [p.name, p]));
  const leaf = (name: string): Record<string, unknown> => {
    leaves.push(name);
    const p = byName.get(name);
    const api = p && 'api' in p ? p.api : undefined;
    return {
      provider: api === 'anthropic-messages' ? 'anthropic' : 'openai',
      api_key: 'unused',
      custom_host: hostOf(name),
    };
  };
  const entry = (name: string): Record<string, unknown> => {
    const chain = (g.fallbacks[name] ?? []).filter((p) => eligible.includes(p) && p !== name);
    if (chain.length === 0) return leaf(name);
    return {
      strategy: { mode: 'fallback', on_status_codes: codes },
      targets: [leaf(name), ...chain.map(leaf)],
    };
  };
  const entries = eligible.filter((p) => (weights[p] ?? 0) > 0);
  if (entries.length === 0)
    throw new Error(`no provider of ${eligible.join(', ')} has a routing weight above 0`);
  const top: Record<string, unknown> =
    entries.length === 1
      ? entry(entries[0]!)
      : {
          strategy: { mode: 'loadbalance' },
          targets: entries.map((p) => ({ ...entry(p), weight: weights[p] })),
        };
  const config: Record<string, unknown> = { ...top };
  if (g.retries.max > 0) config['retry'] = { attempts: g.retries.max, on_status_codes: codes };
  if (g.attemptTimeout !== undefined) config['request_timeout'] = g.attemptTimeout;
  return { config, leaves };
}

/** The providers a class may use: its `providers` and the providers serving its `models`. */
export function eligibleProviders(scenario: Scenario, className: string): string[] {
  const c = scenario.workload.classes.find((x) => x.name === className);
  if (!c) throw new Error(`no class ${className}`);
  return scenario.providers
    .filter(
      (p) =>
        (!c.providers || c.providers.includes(p.name)) &&
        (!c.models || (p.models ?? [p.name]).some((m) => c.models!.includes(m))),
    )
    .map((p) => p.name);
}

/**
 * The imported gateway section with the importer's leaf names (`openai-1`, ...) put back to the
 * scenario providers behind them. Two leaves of one provider (a provider that is both a weighted
 * target and another's fallback) are one provider: its weights add up, its chain and retries must
 * agree.
 */
export function renamedSection(section: Record<string, unknown>, names: Map<string, string>) {
  const to = (leaf: string) => {
    const n = names.get(leaf);
    if (n === undefined) throw new Error(`the import named a provider ${leaf} no leaf stands for`);
    return n;
  };
  const out: Record<string, unknown> = { ...section };
  const routing = section['routing'] as { policy: string; params: { weights: Record<string, number> } };
  const weights: Record<string, number> = {};
  for (const [leaf, w] of Object.entries(routing.params.weights))
    weights[to(leaf)] = (weights[to(leaf)] ?? 0) + w;
  out['routing'] = { policy: routing.policy, params: { weights } };
  const fallbacks = section['fallbacks'] as Record<string, string[]> | undefined;
  if (fallbacks) {
    const renamed: Record<string, string[]> = {};
    for (const [leaf, chain] of Object.entries(fallbacks)) {
      const key = to(leaf);
      const value = chain.map(to);
      if (renamed[key] && renamed[key].join() !== value.join())
        throw new Error(`provider ${key} has two fallback chains in the config`);
      renamed[key] = value;
    }
    out['fallbacks'] = renamed;
  }
  const rtf = section['retryThenFallback'] as { perProvider: Record<string, number> } | undefined;
  if (rtf) {
    const perProvider: Record<string, number> = {};
    for (const [leaf, n] of Object.entries(rtf.perProvider)) {
      const key = to(leaf);
      if (perProvider[key] !== undefined && perProvider[key] !== n)
        throw new Error(`provider ${key} has two retry counts in the config`);
      perProvider[key] = n;
    }
    out['retryThenFallback'] = { ...rtf, perProvider };
  }
  return out;
}
