/**
 * Quality as an outcome (docs/concepts/quality.md): how capable the model behind each provider is
 * for each request class, and whether a response is acceptable. A response is acceptable when the
 * attempt is ok and its model's capability is at least the request's latent difficulty
 * (`WorkItem.difficulty`), so a stronger model answers acceptably a superset of what a weaker one
 * does. Ground truth: the gateway's judge and the recorder read it once an attempt is reported;
 * policies never do (FG-5).
 */
import type { QualityConfig } from '../scenario/schema.ts';
import type { WorkItem } from './work-item.ts';

/** The capability of `model` for class `className`, as `config` says (its default otherwise). */
export function modelCapability(config: QualityConfig, model: string, className: string): number {
  const m = Object.hasOwn(config.models, model) ? config.models[model] : undefined;
  if (!m) return config.defaultCapability;
  const c = m.capability;
  if (typeof c === 'number') return c;
  if (Object.hasOwn(c, className)) return c[className]!;
  return Object.hasOwn(c, 'default') ? c['default']! : config.defaultCapability;
}

/** Agent-session calls `model` needs per step of a task (1 when not listed). */
export function modelSessionCalls(config: QualityConfig, model: string): number {
  const m = Object.hasOwn(config.models, model) ? config.models[model] : undefined;
  return m?.sessionCalls ?? 1;
}

/**
 * Capabilities by provider (in scenario order) and class. A provider's capability is the best
 * among the models it serves (its name when it lists none), as `model-selection` scores a target;
 * its session-call factor is that of its best model (the smallest among equals).
 */
export class QualityModel {
  private readonly classCount: number;
  /** capability[provider x classCount + class]. */
  private readonly capability: Float64Array;
  private readonly sessionCalls: Float64Array;

  constructor(
    config: QualityConfig,
    providers: readonly { name: string; models?: readonly string[] | undefined }[],
    classNames: readonly string[],
  ) {
    this.classCount = classNames.length;
    this.capability = new Float64Array(providers.length * classNames.length);
    this.sessionCalls = new Float64Array(providers.length);
    providers.forEach((p, i) => {
      const models = p.models ?? [p.name];
      classNames.forEach((c, k) => {
        let best = 0;
        for (const m of models) best = Math.max(best, modelCapability(config, m, c));
        this.capability[i * this.classCount + k] = best;
      });
      // The factor of the provider's strongest model (over all classes), fewest calls among equals.
      let bestCapability = Number.NEGATIVE_INFINITY;
      let factor = 1;
      for (const m of models) {
        let cap = 0;
        for (const c of classNames) cap += modelCapability(config, m, c);
        const f = modelSessionCalls(config, m);
        if (cap > bestCapability || (cap === bestCapability && f < factor)) {
          bestCapability = cap;
          factor = f;
        }
      }
      this.sessionCalls[i] = factor;
    });
  }

  /** Capability of provider `providerIndex` for class `classIndex`, in [0, 1]. */
  capabilityOf(providerIndex: number, classIndex: number): number {
    return this.capability[providerIndex * this.classCount + classIndex]!;
  }

  /** Is an ok response to `work` from provider `providerIndex` acceptable? */
  acceptable(work: WorkItem, providerIndex: number): boolean {
    return this.capabilityOf(providerIndex, work.classIndex) >= work.difficulty;
  }

  /** Calls provider `providerIndex`'s model needs per step of an agent session (>= 1). */
  sessionCallsOf(providerIndex: number): number {
    return this.sessionCalls[providerIndex]!;
  }
}
