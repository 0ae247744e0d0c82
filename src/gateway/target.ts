import type { Provider } from '../providers/provider.ts';
import type { TargetView } from './policy.ts';

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
  inFlight = 0;
  attempts = 0;
  successes = 0;
  failures = 0;
  lastTtftMs = Number.NaN;
  retryAfterUntilMs = 0;
  /** @internal the provider behind the target; never part of TargetView. */
  readonly provider: Provider;

  constructor(index: number, provider: Provider, prices: { inputPerMTok: number; outputPerMTok: number }) {
    this.index = index;
    this.provider = provider;
    this.name = provider.name;
    this.kind = provider.kind;
    this.models = provider.models;
    this.inputPerMTok = prices.inputPerMTok;
    this.outputPerMTok = prices.outputPerMTok;
  }
}
