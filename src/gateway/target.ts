import type { Provider } from '../providers/provider.ts';
import type { ScrapedMetrics, TargetView } from './policy.ts';

/**
 * TargetState: the gateway's own bookkeeping about one routing target. Policies receive it typed
 * as the read-only `TargetView`; `provider` is private to the gateway (ground truth stays out of
 * policy reach, FG-5).
 */
export class TargetState implements TargetView {
  readonly index: number;
  readonly name: string;
  readonly kind: string;
  readonly models: readonly string[];
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
  /** Provider behind the target (a pool's name when the target is one of its replicas). */
  readonly provider: string;
  /** Position of that provider in the scenario (metrics are kept per provider). */
  readonly providerIndex: number;
  /** Last scraped gauges of a self-hosted target; undefined for hosted APIs. */
  scraped: ScrapedMetrics | undefined = undefined;
  inFlight = 0;
  attempts = 0;
  successes = 0;
  failures = 0;
  lastTtftMs = Number.NaN;
  retryAfterUntilMs = 0;
  /** @internal what the gateway submits to; never part of TargetView. */
  readonly backend: Provider;

  constructor(
    index: number,
    name: string,
    backend: Provider,
    providerIndex: number,
    prices: { inputPerMTok: number; outputPerMTok: number },
  ) {
    this.index = index;
    this.backend = backend;
    this.name = name;
    this.provider = backend.name;
    this.providerIndex = providerIndex;
    this.kind = backend.kind;
    this.models = backend.models;
    this.inputPerMTok = prices.inputPerMTok;
    this.outputPerMTok = prices.outputPerMTok;
  }
}
