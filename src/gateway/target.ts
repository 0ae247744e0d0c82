import type { ScrapedMetrics, TargetGroup, TargetView } from './policy.ts';

/** What the gateway is told about a target when it joins. */
export interface TargetSpec {
  /** Target name: the provider's, or `pool/3` for replica 3 of a GPU pool exposed as replicas. */
  readonly name: string;
  /** Provider behind the target (a pool's name when the target is one of its replicas). */
  readonly provider: string;
  /** Position of that provider in the scenario (metrics are kept per provider). */
  readonly providerIndex: number;
  readonly kind: string;
  readonly models: readonly string[];
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}

/** A deployment group's live size; the gateway shares one per model among its targets. */
export class ModelGroup implements TargetGroup {
  readonly model: string;
  size = 0;
  constructor(model: string) {
    this.model = model;
  }
}

/** The models a target serves (its own name when it lists none); the first names its group. */
export function servedModels(spec: Pick<TargetSpec, 'models' | 'name'>): readonly string[] {
  return spec.models.length > 0 ? [...new Set(spec.models)] : [spec.name];
}

/**
 * TargetState: the gateway's own bookkeeping about one routing target, which policies receive as
 * the read-only `TargetView`. Plain data: what the gateway submits to is kept by the gateway, not
 * here, so a policy cannot reach a provider through it (FG-5).
 */
export class TargetState implements TargetView {
  /** Stable for the run and never reused, also after the target leaves. */
  readonly index: number;
  readonly name: string;
  readonly kind: string;
  readonly models: readonly string[];
  /** Shared with the other targets of its model; a lone target (no gateway) is a group of one. */
  readonly group: TargetGroup;
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  readonly provider: string;
  readonly providerIndex: number;
  /** Last scraped gauges of a self-hosted target; undefined for hosted APIs. */
  scraped: ScrapedMetrics | undefined = undefined;
  inFlight = 0;
  attempts = 0;
  successes = 0;
  failures = 0;
  lastTtftMs = Number.NaN;
  retryAfterUntilMs = 0;
  /** False once the target left: it takes no new attempts, in-flight ones still report. */
  active = true;

  constructor(index: number, spec: TargetSpec, group?: TargetGroup) {
    this.index = index;
    this.group = group ?? Object.assign(new ModelGroup(servedModels(spec)[0]!), { size: 1 });
    this.name = spec.name;
    this.provider = spec.provider;
    this.providerIndex = spec.providerIndex;
    this.kind = spec.kind;
    this.models = spec.models;
    this.inputPerMTok = spec.inputPerMTok;
    this.outputPerMTok = spec.outputPerMTok;
  }
}
