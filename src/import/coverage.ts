/**
 * What `floodgate import` does with each key of a gateway's config: modelled (the simulator does
 * what the gateway does), approximated (modelled with a stated difference, also reported as a note
 * when the config uses it), or not modelled (reported as a note, left out). docs/guide/import.md
 * shows these tables; test/import/coverage.test.ts keeps them, the importers and the docs in step.
 */
export type CoverageStatus = 'modelled' | 'approximated' | 'not modelled';

export interface CoverageRow {
  key: string;
  status: CoverageStatus;
  /** What Floodgate does with it. */
  floodgate: string;
}

export const PORTKEY_COVERAGE: readonly CoverageRow[] = [
  {
    key: 'strategy.mode: single',
    status: 'modelled',
    floodgate: 'targets[0] only (the rest are reported unused)',
  },
  {
    key: 'strategy.mode: loadbalance',
    status: 'modelled',
    floodgate: "`random` routing with the targets' weights (default 1); no failover between siblings",
  },
  {
    key: 'strategy.mode: fallback',
    status: 'modelled',
    floodgate: '`gateway.fallbacks` chains in target order, walked by `retryThenFallback`',
  },
  {
    key: 'strategy.on_status_codes',
    status: 'modelled',
    floodgate:
      '`retryThenFallback.fallbackOn` (429 rate-limited, 503 server-error, 529 overloaded, 408 timeout, 400 bad-request; none: any failure); nested fallbacks with different lists use the outermost (note)',
  },
  {
    key: 'strategy.mode: conditional',
    status: 'not modelled',
    floodgate: 'targets[0] (request metadata is not modelled)',
  },
  {
    key: 'targets (nested)',
    status: 'modelled',
    floodgate:
      'flattened: a fallback inside a loadbalance keeps its chain; a loadbalance inside a fallback goes to its heaviest target (approximated, note)',
  },
  { key: 'weight', status: 'modelled', floodgate: '`random` weights, normalised over the tree' },
  {
    key: 'retry.attempts',
    status: 'modelled',
    floodgate:
      '`retryThenFallback.perProvider`: retries on the same target before its fallback; the retry inherits whole from the nearest ancestor',
  },
  {
    key: 'retry.on_status_codes',
    status: 'modelled',
    floodgate:
      '`retries.on` (default 429, 500, 502, 503, 504); targets with different lists use the union (note); codes no Floodgate provider answers are reported',
  },
  {
    key: 'retry backoff',
    status: 'modelled',
    floodgate: "async-retry's: 1 s x 2^n, no jitter, from 1 s again on each target",
  },
  {
    key: 'retry.use_retry_after_header',
    status: 'approximated',
    floodgate:
      '`respectRetryAfter`: at least the retry-after; Portkey waits exactly it, zeroes later backoffs, and gives up past 60 s',
  },
  {
    key: 'request_timeout',
    status: 'modelled',
    floodgate:
      '`attemptTimeout` (to the first token when streaming; 408, retried or fallen back on only when listed); different values per target use the first (note)',
  },
  { key: 'override_params.model', status: 'modelled', floodgate: "the provider's `models`" },
  {
    key: 'override_params (other)',
    status: 'not modelled',
    floodgate: 'request parameters: set the workload (outputTokens, stream)',
  },
  {
    key: 'provider, virtual_key',
    status: 'modelled',
    floodgate: "the provider's name (`openai-1`, in leaf order)",
  },
  {
    key: 'custom_host',
    status: 'not modelled',
    floodgate: "where the provider lives: the scenario's provider stands for it",
  },
  { key: 'cache', status: 'not modelled', floodgate: 'every request reaches a provider' },
  { key: 'hooks, guardrails', status: 'not modelled', floodgate: 'Floodgate requests carry no content' },
  {
    key: 'id, cb_config (circuit breaker)',
    status: 'not modelled',
    floodgate: 'not in the open-source gateway',
  },
  {
    key: 'credentials (api_key, aws_*, vertex_*, azure_*, openai_*)',
    status: 'not modelled',
    floodgate: 'not needed to simulate',
  },
  {
    key: 'stream cut after the first byte',
    status: 'modelled',
    floodgate: 'never retried nor fallen back on (Portkey has passed the 200 on)',
  },
];

export const LITELLM_COVERAGE: readonly CoverageRow[] = [
  {
    key: 'model_list[].model_name',
    status: 'modelled',
    floodgate: "the deployment's `models` (its group); one class per group in the default workload",
  },
  {
    key: 'model_list[].litellm_params.model',
    status: 'modelled',
    floodgate: 'checked; the provider stands for it',
  },
  {
    key: 'model_list[].litellm_params.rpm',
    status: 'modelled',
    floodgate: 'provider `rateLimit.rpm`; routing limits and weights',
  },
  {
    key: 'model_list[].litellm_params.tpm',
    status: 'approximated',
    floodgate: 'provider `rateLimit.inputTpm` (LiteLLM counts prompt + completion)',
  },
  {
    key: 'model_list[].litellm_params.weight',
    status: 'modelled',
    floodgate: '`random` weights (simple-shuffle)',
  },
  {
    key: 'model_list[].model_info.id',
    status: 'modelled',
    floodgate: "the provider's name when it is a valid name",
  },
  {
    key: 'model_list[].litellm_params.api_base, api_key',
    status: 'not modelled',
    floodgate: 'the provider stands for the deployment',
  },
  {
    key: 'routing_strategy: simple-shuffle',
    status: 'modelled',
    floodgate: '`random`, weighted by weight, else rpm, else tpm',
  },
  { key: 'routing_strategy: least-busy', status: 'modelled', floodgate: '`least-outstanding`' },
  {
    key: 'routing_strategy: usage-based-routing(-v2)',
    status: 'modelled',
    floodgate: "`rate-limit-aware` with the deployments' rpm/tpm",
  },
  {
    key: 'routing_strategy: latency-based-routing',
    status: 'approximated',
    floodgate: '`peak-ewma` (`lowest_latency_buffer` as its buffer)',
  },
  {
    key: 'routing_strategy: cost-based-routing',
    status: 'approximated',
    floodgate: "`cost-aware` over the providers' pricing",
  },
  { key: 'num_retries', status: 'modelled', floodgate: '`retries.max` (default 2), each retry routed again' },
  {
    key: 'retry backoff',
    status: 'approximated',
    floodgate:
      '0 when every group has 2+ deployments, else 0.5 s x 2^n x 0.875 capped at 7 s, at least the retry-after',
  },
  {
    key: 'retry_policy',
    status: 'approximated',
    floodgate:
      'RateLimit/Timeout/InternalServer counts: errors with 0 leave `retries.on`; different counts use the largest (note)',
  },
  { key: 'allowed_fails', status: 'modelled', floodgate: '`cooldown` health policy `allowedFails`' },
  {
    key: 'allowed_fails_policy',
    status: 'modelled',
    floodgate: '`cooldown` `allowedFailsPolicy` (RateLimit, Timeout, InternalServer, ServiceUnavailable)',
  },
  {
    key: 'cooldown_time',
    status: 'modelled',
    floodgate: '`cooldown` `cooldownMs` (default 5 s); cooldowns are on unless disable_cooldowns',
  },
  {
    key: 'fallbacks',
    status: 'approximated',
    floodgate:
      "`gateway.fallbacks` to the fallback groups' deployments with `fallbacksChangeModel`; taken from the first failure, within `retries.max`",
  },
  {
    key: 'context_window_fallbacks',
    status: 'not modelled',
    floodgate: 'a context window error is a 400, never retried (checked, reported)',
  },
  {
    key: 'timeout, request_timeout',
    status: 'approximated',
    floodgate: '`attemptTimeout` (to the first token when streaming)',
  },
  {
    key: 'litellm_settings (fallback for router settings)',
    status: 'modelled',
    floodgate: 'router_settings wins, as the Router reads its own arguments first',
  },
  {
    key: 'general_settings, environment_variables, callbacks, cache',
    status: 'not modelled',
    floodgate: 'do not change routing',
  },
];

/** A coverage table as Markdown. */
export function coverageMarkdown(rows: readonly CoverageRow[]): string {
  const lines = ['| key | status | in Floodgate |', '| --- | --- | --- |'];
  for (const r of rows) lines.push(`| \`${r.key}\` | ${r.status} | ${r.floodgate.replaceAll('|', '\\|')} |`);
  return `${lines.join('\n')}\n`;
}
