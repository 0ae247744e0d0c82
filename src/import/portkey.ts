/**
 * Portkey gateway config -> Floodgate scenario gateway and providers. Semantics from the gateway's
 * source (Portkey-AI/gateway, src/handlers/handlerUtils.ts `tryTargetsRecursively`,
 * src/handlers/retryHandler.ts, src/handlers/services/requestContext.ts, src/globals.ts):
 *
 * - every leaf target is a provider; `override_params.model` is the model it serves;
 * - `loadbalance` picks one target by weight (default 1) and never fails over to a sibling;
 * - `fallback` tries its targets in order, moving on when the answer's status is in
 *   `strategy.on_status_codes` (without the list: when it is not a success);
 * - `single` uses `targets[0]`;
 * - a leaf's `retry` (its own, else the nearest ancestor's, whole) retries that leaf `attempts`
 *   times on `on_status_codes` (default 429, 500, 502, 503, 504) before its fallback moves on;
 *   the backoff is async-retry's default (1 s, x2, no jitter), starting again on each target;
 * - `request_timeout` (nearest wins) bounds each attempt until its response headers (the first
 *   token when streaming) and answers 408.
 *
 * Floodgate's gateway holds this as `random` routing over the first targets (weights), fallback
 * chains, and `retryThenFallback` (per-target retries, then the chain, for `fallbackOn`).
 */
import { MAX_RETRIES } from '../scenario/schema.ts';
import type { ConfigText } from './config-text.ts';
import type { ImportedGateway, ImportedProvider } from './imported.ts';
import { ConfigReader, isObject, type Json } from './reader.ts';
import { type CodeDialect, errorsOfCodes, retryableOnly, type StatusError } from './status-codes.ts';

const MODES = ['single', 'loadbalance', 'fallback', 'conditional'] as const;
/** Portkey's RETRY_STATUS_CODES (src/globals.ts), used when `retry` gives no `on_status_codes`. */
export const PORTKEY_RETRY_CODES: readonly number[] = [429, 500, 502, 503, 504];
/** async-retry's defaults, which Portkey keeps (minTimeout 1000 ms, factor 2, randomize false). */
const BACKOFF_BASE_MS = 1000;
const MAX_DEPTH = 32;
/** What each dialect answers, for notes about codes no target answers. */
const ANSWERS =
  'openai: 429 rate limit, 503 failure or overload; anthropic: 429, 500 failure, 529 overload; google: 429, 500 failure, 503 overload';

/** Keys of a target that Floodgate reads. */
const MODELLED = [
  'strategy',
  'targets',
  'weight',
  'retry',
  'request_timeout',
  'override_params',
  'provider',
  'virtual_key',
] as const;

const CREDENTIAL = 'a credential or account setting: not needed to simulate';
/** Keys Portkey knows that Floodgate leaves out, with why. */
const NOT_MODELLED: Readonly<Record<string, string>> = {
  cache: 'response caching is not modelled: every request reaches a provider',
  before_request_hooks: 'hooks and guardrails are not modelled (Floodgate requests carry no content)',
  after_request_hooks: 'hooks and guardrails are not modelled (Floodgate requests carry no content)',
  input_guardrails: 'hooks and guardrails are not modelled (Floodgate requests carry no content)',
  output_guardrails: 'hooks and guardrails are not modelled (Floodgate requests carry no content)',
  forward_headers: 'forwarded headers do not change routing',
  strict_open_ai_compliance: 'the response format does not change routing',
  custom_host:
    "where the provider lives: the scenario's provider stands for it (point it at `floodgate emulate`)",
  on_status_codes: 'a target-level on_status_codes is not read by the gateway (strategy.on_status_codes is)',
  id: 'circuit breakers (config id, cb_config) are not in the open-source gateway',
  cb_config: 'circuit breakers (config id, cb_config) are not in the open-source gateway',
  api_key: CREDENTIAL,
  aws_secret_access_key: CREDENTIAL,
  aws_access_key_id: CREDENTIAL,
  aws_session_token: CREDENTIAL,
  aws_region: CREDENTIAL,
  vertex_project_id: CREDENTIAL,
  vertex_region: CREDENTIAL,
  vertex_service_account_json: CREDENTIAL,
  openai_project: CREDENTIAL,
  openai_organization: CREDENTIAL,
  azure_model_name: CREDENTIAL,
  azure_auth_mode: CREDENTIAL,
};

interface RetrySettings {
  attempts: number;
  codes: readonly number[];
  useRetryAfter: boolean;
}

interface Inherited {
  retry: RetrySettings | undefined;
  timeoutMs: number | undefined;
  model: string | undefined;
}

interface Leaf {
  name: string;
  path: string;
  /** How its status codes read: Portkey's provider `anthropic` answers Anthropic's, `google` Gemini's. */
  dialect: CodeDialect;
  retry: RetrySettings | undefined;
  timeoutMs: number | undefined;
  model: string | undefined;
}

/** What a (sub)tree does with a request. */
interface Compiled {
  /** Probability that the first attempt goes to each leaf. */
  entries: Map<string, number>;
  /** For each entry leaf, the leaves a fallback walk tries after it, in order. */
  chains: Map<string, string[]>;
  /** The whole walk when the tree is a fallback member; undefined when it draws (loadbalance). */
  walk: string[] | undefined;
}

/** The status codes a Portkey provider answers (src/providers/dialects.ts); any other: OpenAI's. */
function dialectOf(provider: string | undefined): CodeDialect {
  if (provider === 'anthropic') return 'anthropic';
  if (provider === 'google') return 'gemini';
  return 'openai';
}

export function importPortkey(config: ConfigText): ImportedGateway {
  const r = new ConfigReader(config);
  const leaves: Leaf[] = [];
  const fallbackCodes: { path: string; errors: StatusError[] }[] = [];

  const readRetry = (x: unknown, path: (string | number)[]): RetrySettings | undefined => {
    const o = r.object(x, path, ', e.g. { "attempts": 3, "on_status_codes": [429, 503] }');
    if (!o) return undefined;
    r.keys(o, path, ['attempts', 'on_status_codes', 'use_retry_after_header'], {});
    if (o['attempts'] === undefined)
      return r.problem([...path, 'attempts'], 'expected attempts (a whole number of retries), got nothing');
    const attempts = r.number(o['attempts'], [...path, 'attempts'], {
      min: 0,
      max: MAX_RETRIES,
      integer: true,
    });
    const codes =
      o['on_status_codes'] === undefined
        ? PORTKEY_RETRY_CODES
        : r.statusCodes(o['on_status_codes'], [...path, 'on_status_codes']);
    const useRetryAfter =
      o['use_retry_after_header'] === undefined
        ? false
        : r.boolean(o['use_retry_after_header'], [...path, 'use_retry_after_header']);
    if (attempts === undefined || codes === undefined || useRetryAfter === undefined) return undefined;
    // requestContext.normalizeRetryConfig: no attempts, no codes.
    return { attempts, codes: attempts > 0 ? codes : [], useRetryAfter };
  };

  const leafName = (provider: string | undefined): string => {
    const base = (provider ?? 'target').replace(/[^\w.:/-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'target';
    return `${base}-${leaves.length + 1}`;
  };

  const compile = (
    node: unknown,
    path: (string | number)[],
    inherited: Inherited,
    inLoadbalance: boolean,
  ): Compiled | undefined => {
    if (path.length / 2 > MAX_DEPTH)
      return r.problem(path, `expected targets nested at most ${MAX_DEPTH} deep`);
    const o = r.object(
      node,
      path,
      path.length === 0 ? ' (a Portkey config: { "strategy": ..., "targets": [...] })' : '',
    );
    if (!o) return undefined;
    r.keys(o, path, MODELLED, NOT_MODELLED);
    if (o['weight'] !== undefined) {
      r.number(o['weight'], [...path, 'weight'], { min: 0 });
      if (!inLoadbalance)
        r.note(
          'not-modelled',
          [...path, 'weight'],
          'a weight outside a loadbalance strategy has no effect (in Portkey either)',
        );
    }
    const retry = o['retry'] !== undefined ? readRetry(o['retry'], [...path, 'retry']) : inherited.retry;
    let timeoutMs = inherited.timeoutMs;
    if (o['request_timeout'] !== undefined)
      timeoutMs = r.number(o['request_timeout'], [...path, 'request_timeout'], { min: 1, max: 86_400_000 });
    let model = inherited.model;
    if (o['override_params'] !== undefined) {
      const params = r.object(o['override_params'], [...path, 'override_params']);
      if (params) {
        for (const key of Object.keys(params))
          if (key !== 'model')
            r.note(
              'not-modelled',
              [...path, 'override_params', key],
              'request parameters other than model are not modelled (set the workload instead)',
            );
        if (params['model'] !== undefined)
          model = r.string(params['model'], [...path, 'override_params', 'model']);
      }
    }
    const next: Inherited = { retry, timeoutMs, model };
    const hasTargets = o['targets'] !== undefined;
    if (o['strategy'] === undefined && !hasTargets) return leaf(o, path, next);
    if (o['strategy'] === undefined)
      return r.problem(
        [...path, 'targets'],
        'expected a strategy beside targets, e.g. "strategy": { "mode": "fallback" } (without one Portkey ignores the targets)',
      );
    if (!hasTargets) return r.problem([...path, 'strategy'], 'expected targets beside strategy, got none');
    const strategy = r.object(o['strategy'], [...path, 'strategy'], ', e.g. { "mode": "fallback" }');
    const targets = r.list(o['targets'], [...path, 'targets']);
    if (!strategy || !targets) return undefined;
    r.keys(strategy, [...path, 'strategy'], ['mode', 'on_status_codes'], {
      conditions: 'conditional routing on request metadata is not modelled',
      default: 'conditional routing on request metadata is not modelled',
    });
    const mode = r.choice(strategy['mode'], [...path, 'strategy', 'mode'], MODES);
    if (targets.length === 0)
      return r.problem([...path, 'targets'], 'expected at least one target, got an empty list');
    if (mode === undefined) {
      // Still read the targets, so every problem is listed at once.
      for (const [i, t] of targets.entries()) compile(t, [...path, 'targets', i], next, false);
      return undefined;
    }
    if (mode !== 'fallback' && strategy['on_status_codes'] !== undefined)
      r.note(
        'not-modelled',
        [...path, 'strategy', 'on_status_codes'],
        `only a fallback strategy reads on_status_codes (this one is ${mode})`,
      );
    if (mode === 'single' || mode === 'conditional') {
      if (mode === 'conditional')
        r.note(
          'not-modelled',
          [...path, 'strategy', 'mode'],
          'conditional routing on request metadata is not modelled: every request goes to targets[0]',
        );
      for (let i = 1; i < targets.length; i++)
        r.note('not-modelled', [...path, 'targets', i], `never used: a ${mode} strategy sends to targets[0]`);
      return compile(targets[0], [...path, 'targets', 0], next, false);
    }
    const firstLeaf = leaves.length;
    // The leaves whose answers this strategy judges: all but the last target's (after it, nothing
    // is left to fall back to here).
    let lastJudged = leaves.length;
    const children = targets.map((t, i) => {
      const c = compile(t, [...path, 'targets', i], next, mode === 'loadbalance');
      if (i === targets.length - 2) lastJudged = leaves.length;
      return c;
    });
    if (children.some((c) => c === undefined)) return undefined;
    const compiled = children as Compiled[];
    if (mode === 'loadbalance') return loadbalance(targets, compiled, path);
    // fallback
    let codes: readonly number[] | undefined;
    if (strategy['on_status_codes'] !== undefined)
      codes = r.statusCodes(strategy['on_status_codes'], [...path, 'strategy', 'on_status_codes']);
    const judged = [
      ...new Set(
        leaves.slice(firstLeaf, targets.length > 1 ? lastJudged : leaves.length).map((l) => l.dialect),
      ),
    ];
    let errors: StatusError[] = ['rate-limited', 'server-error', 'timeout', 'bad-request']; // any answer that is not ok
    if (codes) {
      const read = errorsOfCodes(codes, judged);
      errors = read.errors;
      if (read.unmatched.length > 0)
        r.note(
          'approximated',
          [...path, 'strategy', 'on_status_codes'],
          `${read.unmatched.join(', ')} ${read.unmatched.length > 1 ? 'are' : 'is'} never answered by the ${judged.join(' or ')} targets it falls back from (${ANSWERS}): it never moves on for ${read.unmatched.length > 1 ? 'them' : 'it'}`,
        );
    }
    fallbackCodes.push({ path: [...path, 'strategy', 'on_status_codes'].join('.'), errors });
    const walks = compiled.map((c, i) => c.walk ?? heaviestWalk(c, [...path, 'targets', i]));
    const first = compiled[0]!;
    const rest = walks.slice(1).flat();
    const chains = new Map<string, string[]>();
    for (const [entry, chain] of first.chains) chains.set(entry, [...chain, ...rest]);
    return { entries: first.entries, chains, walk: first.walk ? walks.flat() : undefined };
  };

  const leaf = (o: Json, path: (string | number)[], at: Inherited): Compiled | undefined => {
    let provider: string | undefined;
    if (o['provider'] !== undefined) provider = r.string(o['provider'], [...path, 'provider']);
    else if (o['virtual_key'] !== undefined) {
      r.string(o['virtual_key'], [...path, 'virtual_key']);
      provider = 'virtual-key';
    }
    const name = leafName(provider);
    leaves.push({
      name,
      path: pathLabel(path),
      dialect: dialectOf(provider),
      retry: at.retry,
      timeoutMs: at.timeoutMs,
      model: at.model,
    });
    return { entries: new Map([[name, 1]]), chains: new Map([[name, []]]), walk: [name] };
  };

  const loadbalance = (
    targets: unknown[],
    children: Compiled[],
    path: (string | number)[],
  ): Compiled | undefined => {
    const weights = targets.map((t) => {
      const w = isObject(t) ? t['weight'] : undefined;
      return typeof w === 'number' && Number.isFinite(w) && w >= 0 ? w : 1;
    });
    const total = weights.reduce((a, b) => a + b, 0);
    if (!(total > 0))
      return r.problem(
        [...path, 'targets'],
        'expected some target with a weight above 0 (Portkey picks none otherwise)',
      );
    const entries = new Map<string, number>();
    const chains = new Map<string, string[]>();
    children.forEach((c, i) => {
      for (const [name, p] of c.entries)
        entries.set(name, (entries.get(name) ?? 0) + (p * weights[i]!) / total);
      for (const [name, chain] of c.chains) chains.set(name, chain);
    });
    return { entries, chains, walk: undefined };
  };

  /** A loadbalance inside a fallback draws its target: Floodgate's chains are fixed lists. */
  const heaviestWalk = (c: Compiled, path: (string | number)[]): string[] => {
    let best = '';
    let bestP = -1;
    for (const [name, p] of c.entries) if (p > bestP) [best, bestP] = [name, p];
    r.note(
      'approximated',
      path,
      `a loadbalance reached by a fallback draws its target per request; Floodgate's fallback chain always goes to its heaviest target (${best})`,
    );
    return [best, ...(c.chains.get(best) ?? [])];
  };

  const root = compile(config.value, [], { retry: undefined, timeoutMs: undefined, model: undefined }, false);
  r.throwIfProblems();
  return assemble(r, root!, leaves, fallbackCodes);
}

function pathLabel(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${key}` : key;
  return out || '(top level)';
}

/** The scenario's gateway section from the compiled tree. */
function assemble(
  r: ConfigReader,
  root: Compiled,
  leaves: Leaf[],
  fallbackCodes: { path: string; errors: StatusError[] }[],
): ImportedGateway {
  const providers: ImportedProvider[] = leaves.map((l) => ({
    name: l.name,
    ...(l.model ? { models: [l.model] } : {}),
    from: `targets ${l.path}`,
  }));
  // Retries: per leaf attempts; which errors, from the status codes.
  const perProvider: Record<string, number> = {};
  const onSets = new Map<string, string[]>();
  const unmatched = new Set<number>();
  let retryAfterOn = 0;
  let maxAttempts = 0;
  for (const l of leaves) {
    const attempts = l.retry?.attempts ?? 0;
    perProvider[l.name] = attempts;
    maxAttempts = Math.max(maxAttempts, attempts);
    if (!l.retry || attempts === 0) continue;
    const { errors, unmatched: codes } = errorsOfCodes(l.retry.codes, [l.dialect]);
    for (const c of codes) unmatched.add(c);
    if (errors.includes('bad-request'))
      r.note(
        'approximated',
        [],
        `target ${l.path} retries on 400: Floodgate's gateway never retries a bad request`,
      );
    onSets.set(l.name, retryableOnly(errors));
    if (l.retry.useRetryAfter) retryAfterOn++;
  }
  const distinctOn = new Set([...onSets.values()].map((e) => e.join(',')));
  const on = [...new Set([...onSets.values()].flat())];
  if (distinctOn.size > 1)
    r.note(
      'approximated',
      [],
      `targets retry on different status codes; Floodgate retries every target on the union (${on.join(', ')})`,
    );
  if (unmatched.size > 0)
    r.note(
      'approximated',
      [],
      `status codes ${[...unmatched].sort().join(', ')} are never answered by the targets that retry on them (${ANSWERS}): listing them changes nothing`,
    );
  if (retryAfterOn > 0)
    r.note(
      'approximated',
      [],
      "use_retry_after_header: Portkey waits exactly the provider's retry-after (no backoff after it) and gives up retrying past 60 s in all; Floodgate waits at least the retry-after",
    );
  if (retryAfterOn > 0 && retryAfterOn < onSets.size)
    r.note(
      'approximated',
      [],
      'use_retry_after_header differs between targets; Floodgate honours retry-after on all of them',
    );
  // Timeouts: Floodgate has one per-attempt timeout.
  const timeouts = [...new Set(leaves.map((l) => l.timeoutMs))];
  const timeoutMs = timeouts.find((t) => t !== undefined);
  if (timeouts.length > 1)
    r.note(
      'approximated',
      [],
      `targets have different request_timeout values; Floodgate uses ${timeoutMs} ms for every attempt`,
    );
  // Fallback status codes: Floodgate has one list.
  const fallbackOn = fallbackCodes[0]?.errors ?? ['rate-limited', 'server-error', 'timeout', 'bad-request'];
  if (new Set(fallbackCodes.map((f) => f.errors.join(','))).size > 1)
    r.note(
      'approximated',
      [],
      `fallback strategies move on at different status codes; Floodgate uses the outermost one's (${fallbackOn.join(', ')})`,
    );
  // The longest walk bounds the retries and fallbacks of a try.
  let walkAttempts = 1;
  for (const [entry] of root.entries) {
    const walk = [entry, ...(root.chains.get(entry) ?? [])];
    walkAttempts = Math.max(
      walkAttempts,
      walk.reduce((n, name) => n + 1 + (perProvider[name] ?? 0), 0),
    );
  }
  const fallbacks: Record<string, string[]> = {};
  for (const [name, chain] of root.chains) if (chain.length > 0) fallbacks[name] = chain;
  const weights: Record<string, number> = {};
  for (const [name, p] of root.entries) weights[name] = p;
  const gatewaySection: Record<string, unknown> = {
    routing: { policy: 'random', params: { weights } },
    retries: {
      max: Math.min(MAX_RETRIES, walkAttempts - 1),
      on,
      backoff: {
        base: `${BACKOFF_BASE_MS}ms`,
        multiplier: 2,
        cap: `${BACKOFF_BASE_MS * 2 ** Math.max(0, maxAttempts - 1)}ms`,
        jitter: 'none',
      },
      respectRetryAfter: retryAfterOn > 0,
    },
    ...(Object.keys(fallbacks).length > 0 ? { fallbacks } : {}),
    retryThenFallback: { retries: 0, perProvider, fallbackOn },
    ...(timeoutMs !== undefined ? { attemptTimeout: `${timeoutMs}ms` } : {}),
  };
  return { gateway: 'portkey', providers, gatewaySection, notes: r.notes };
}
