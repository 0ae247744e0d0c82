/**
 * LiteLLM proxy/router config (config.yaml) -> Floodgate scenario gateway and providers. Semantics
 * from LiteLLM's source (BerriAI/litellm: litellm/router.py `Router.__init__`,
 * `async_function_with_fallbacks`, `async_function_with_retries`, `should_retry_this_error`,
 * `_time_to_sleep_before_retry`; router_utils/get_retry_from_policy.py, cooldown_handlers.py):
 *
 * - each `model_list` entry is a deployment (a provider) serving its `model_name` group;
 *   `litellm_params.rpm/tpm` are its quota;
 * - `routing_strategy` picks a deployment of the group (simple-shuffle by weight, else rpm, else tpm);
 * - `num_retries` (default 2, openai.DEFAULT_MAX_RETRIES) retries re-route within the group;
 *   `retry_policy` sets the count per error type;
 * - failing deployments cool down (`allowed_fails`, `allowed_fails_policy`, `cooldown_time`,
 *   default 5 s): Floodgate's `cooldown` health policy, which ports cooldown_handlers.py;
 * - after the retries, `fallbacks` try other model groups in order; `context_window_fallbacks`
 *   on a context window error;
 * - `timeout` bounds each call.
 *
 * Router settings win over `litellm_settings` (the module globals the Router falls back to).
 */
import { MAX_RETRIES, type RetryableError } from '../scenario/schema.ts';
import type { ConfigText } from './config-text.ts';
import type { ImportedGateway, ImportedProvider } from './imported.ts';
import { ConfigReader, type Json } from './reader.ts';

export const LITELLM_ROUTING = [
  'simple-shuffle',
  'least-busy',
  'usage-based-routing',
  'usage-based-routing-v2',
  'latency-based-routing',
  'cost-based-routing',
] as const;
type RoutingStrategy = (typeof LITELLM_ROUTING)[number];

/** openai.DEFAULT_MAX_RETRIES: the Router's num_retries when neither it nor litellm.num_retries is set. */
const DEFAULT_NUM_RETRIES = 2;
/** litellm DEFAULT_COOLDOWN_TIME_SECONDS. */
const DEFAULT_COOLDOWN_S = 5;

/** Router settings Floodgate reads (in router_settings, or litellm_settings as the fallback). */
const ROUTER_KEYS = [
  'routing_strategy',
  'routing_strategy_args',
  'num_retries',
  'retry_policy',
  'allowed_fails',
  'allowed_fails_policy',
  'cooldown_time',
  'disable_cooldowns',
  'fallbacks',
  'context_window_fallbacks',
  'timeout',
  'request_timeout',
] as const;

const SETTINGS_NOT_MODELLED: Readonly<Record<string, string>> = {
  content_policy_fallbacks: 'content policy errors do not happen in Floodgate (no content)',
  max_fallbacks: 'fallback depth is bounded by the chains themselves',
  retry_after: 'a minimum wait before retries is not modelled',
  stream_timeout: 'a separate streaming timeout is not modelled (timeout applies)',
  enable_pre_call_checks: 'pre-call context window checks are not modelled',
  redis_host: 'shared state across proxy instances: Floodgate models one gateway',
  redis_port: 'shared state across proxy instances: Floodgate models one gateway',
  redis_password: 'shared state across proxy instances: Floodgate models one gateway',
  model_group_alias: 'aliases do not change routing',
  default_litellm_params: 'request parameters are not modelled',
  drop_params: 'request parameters are not modelled',
  set_verbose: 'logging',
  json_logs: 'logging',
  callbacks: 'logging and callbacks',
  success_callback: 'logging and callbacks',
  failure_callback: 'logging and callbacks',
  cache: 'response caching is not modelled: every request reaches a provider',
  cache_params: 'response caching is not modelled: every request reaches a provider',
};

const TOP_NOT_MODELLED: Readonly<Record<string, string>> = {
  general_settings: 'proxy settings (auth, database, alerting) do not change routing',
  environment_variables: 'credentials and environment',
  guardrails: 'guardrails are not modelled (Floodgate requests carry no content)',
  credential_list: 'credentials',
};

const PARAMS_NOT_MODELLED: Readonly<Record<string, string>> = {
  api_base:
    "where the deployment lives: the scenario's provider stands for it (point it at `floodgate emulate`)",
  api_key: 'a credential: not needed to simulate',
  api_version: 'a credential or account setting: not needed to simulate',
  organization: 'a credential or account setting: not needed to simulate',
  max_retries: "the provider SDK's own retries inside one router attempt are not modelled",
  timeout: 'a per-deployment timeout is not modelled (router timeout applies to all)',
  stream_timeout: 'a per-deployment timeout is not modelled (router timeout applies to all)',
  order: 'deployment order (priority tiers) is not modelled',
  max_parallel_requests: 'a per-deployment concurrency cap is not modelled: set the provider capacity',
  input_cost_per_token: 'prices come from the providers (template pricing)',
  output_cost_per_token: 'prices come from the providers (template pricing)',
};

/** retry_policy keys and the Floodgate error each counts; the rest cannot happen here. */
const RETRY_POLICY: Readonly<Record<string, RetryableError | null>> = {
  RateLimitErrorRetries: 'rate-limited',
  TimeoutErrorRetries: 'timeout',
  InternalServerErrorRetries: 'server-error',
  BadRequestErrorRetries: null,
  AuthenticationErrorRetries: null,
  ContentPolicyViolationErrorRetries: null,
  NotFoundErrorRetries: null,
};

/** allowed_fails_policy keys the cooldown policy models (cooldown.ts, LiteLLM's names). */
const ALLOWED_FAILS_MODELLED = [
  'RateLimitErrorAllowedFails',
  'TimeoutErrorAllowedFails',
  'InternalServerErrorAllowedFails',
  'ServiceUnavailableErrorAllowedFails',
];

const NAME = /^[A-Za-z0-9][\w.:/-]*$/;

export function importLitellm(config: ConfigText): ImportedGateway {
  const r = new ConfigReader(config);
  const top = r.object(
    config.value,
    [],
    ' (a LiteLLM config: { model_list: [...], router_settings: {...} })',
  );
  if (!top) r.throwIfProblems();
  const root = top as Json;
  r.keys(root, [], ['model_list', 'router_settings', 'litellm_settings'], TOP_NOT_MODELLED);

  // Deployments.
  const providers: ImportedProvider[] = [];
  const groups = new Map<string, string[]>();
  const limits: Record<string, { rpm?: number; tpm?: number }> = {};
  const weights: Record<string, Record<string, number>> = { weight: {}, rpm: {}, tpm: {} };
  if (root['model_list'] === undefined)
    r.problem(['model_list'], 'expected model_list (the deployments), got nothing');
  const list = root['model_list'] === undefined ? [] : (r.list(root['model_list'], ['model_list']) ?? []);
  if (root['model_list'] !== undefined && list.length === 0 && Array.isArray(root['model_list']))
    r.problem(['model_list'], 'expected at least one deployment, got an empty list');
  const used = new Set<string>();
  list.forEach((entry, i) => {
    const path = ['model_list', i];
    const d = r.object(
      entry,
      path,
      ', e.g. { model_name: gpt-4o, litellm_params: { model: openai/gpt-4o } }',
    );
    if (!d) return;
    r.keys(d, path, ['model_name', 'litellm_params', 'model_info'], {});
    const group = r.string(d['model_name'], [...path, 'model_name']);
    const params = r.object(d['litellm_params'], [...path, 'litellm_params']);
    if (!group || !params) return;
    r.keys(params, [...path, 'litellm_params'], ['model', 'rpm', 'tpm', 'weight'], PARAMS_NOT_MODELLED);
    r.string(params['model'], [...path, 'litellm_params', 'model']);
    const rpm =
      params['rpm'] === undefined
        ? undefined
        : r.number(params['rpm'], [...path, 'litellm_params', 'rpm'], { min: 0 });
    const tpm =
      params['tpm'] === undefined
        ? undefined
        : r.number(params['tpm'], [...path, 'litellm_params', 'tpm'], { min: 0 });
    const weight =
      params['weight'] === undefined
        ? undefined
        : r.number(params['weight'], [...path, 'litellm_params', 'weight'], { min: 0 });
    let id: string | undefined;
    if (d['model_info'] !== undefined) {
      const info = r.object(d['model_info'], [...path, 'model_info']);
      if (info) {
        r.keys(info, [...path, 'model_info'], ['id'], {});
        if (info['id'] !== undefined) id = r.string(info['id'], [...path, 'model_info', 'id']);
      }
    }
    const members = groups.get(group) ?? [];
    let name = id !== undefined && NAME.test(id) && !used.has(id) ? id : undefined;
    if (!name) {
      const base = group.replace(/[^\w.:/-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'deployment';
      for (let n = members.length + 1; !name || used.has(name); n++) name = `${base}-${n}`;
    }
    used.add(name);
    members.push(name);
    groups.set(group, members);
    if (rpm !== undefined && rpm > 0) {
      weights['rpm']![name] = rpm;
      limits[name] = { ...limits[name], rpm };
    }
    if (tpm !== undefined && tpm > 0) {
      weights['tpm']![name] = tpm;
      limits[name] = { ...limits[name], tpm };
    }
    if (weight !== undefined) weights['weight']![name] = weight;
    const rateLimit = { ...(rpm ? { rpm } : {}), ...(tpm ? { inputTpm: tpm } : {}) };
    providers.push({
      name,
      models: [group],
      ...(Object.keys(rateLimit).length > 0 ? { rateLimit } : {}),
      from: `model_list[${i}]`,
    });
    if (tpm)
      r.note(
        'approximated',
        [...path, 'litellm_params', 'tpm'],
        'LiteLLM counts prompt and completion tokens against tpm; the provider limits input tokens per minute',
      );
  });

  // Settings: router_settings first, litellm_settings as the Router's fallback.
  const router =
    root['router_settings'] === undefined
      ? {}
      : (r.object(root['router_settings'], ['router_settings']) ?? {});
  const module =
    root['litellm_settings'] === undefined
      ? {}
      : (r.object(root['litellm_settings'], ['litellm_settings']) ?? {});
  r.keys(router, ['router_settings'], ROUTER_KEYS, SETTINGS_NOT_MODELLED);
  r.keys(module, ['litellm_settings'], ROUTER_KEYS, SETTINGS_NOT_MODELLED);
  const setting = (key: string): { value: unknown; path: (string | number)[] } | undefined => {
    if (router[key] !== undefined) return { value: router[key], path: ['router_settings', key] };
    if (module[key] !== undefined) return { value: module[key], path: ['litellm_settings', key] };
    return undefined;
  };

  const groupNames = [...groups.keys()];
  const groupRef = (x: unknown, path: (string | number)[]): string | undefined => {
    const g = r.string(x, path);
    if (g === undefined || g === '*' || groups.has(g)) return g;
    return r.problem(path, `expected a model_name from model_list (${groupNames.join(', ')}), got '${g}'`);
  };
  /** `[{ gpt-4: [gpt-3.5] }, ...]` */
  const readFallbacks = (key: string): Map<string, string[]> => {
    const out = new Map<string, string[]>();
    const s = setting(key);
    if (!s) return out;
    const items = r.list(s.value, s.path, ', e.g. [{ gpt-4o: [gpt-4o-mini] }]') ?? [];
    items.forEach((item, i) => {
      const o = r.object(item, [...s.path, i], ', e.g. { gpt-4o: [gpt-4o-mini] }');
      if (!o) return;
      for (const [from, to] of Object.entries(o)) {
        const fromGroup = groupRef(from, [...s.path, i, from]);
        const targets = r.list(to, [...s.path, i, from]) ?? [];
        const toGroups = targets.map((t, j) => groupRef(t, [...s.path, i, from, j]));
        if (fromGroup !== undefined && toGroups.every((g) => g !== undefined))
          out.set(fromGroup, toGroups.filter((g) => g !== '*') as string[]);
      }
    });
    return out;
  };

  // Routing.
  const strategySetting = setting('routing_strategy');
  const strategy: RoutingStrategy =
    (strategySetting ? r.choice(strategySetting.value, strategySetting.path, LITELLM_ROUTING) : undefined) ??
    'simple-shuffle';
  const args = setting('routing_strategy_args');
  const argsObj = args ? (r.object(args.value, args.path) ?? {}) : {};
  let routing: Record<string, unknown>;
  switch (strategy) {
    case 'simple-shuffle': {
      const by = ['weight', 'rpm', 'tpm'].find((k) => Object.keys(weights[k]!).length > 0);
      routing = by ? { policy: 'random', params: { weights: weights[by] } } : { policy: 'random' };
      break;
    }
    case 'least-busy':
      routing = { policy: 'least-outstanding' };
      break;
    case 'usage-based-routing':
    case 'usage-based-routing-v2':
      routing = { policy: 'rate-limit-aware', params: { limits } };
      break;
    case 'latency-based-routing': {
      const buffer = argsObj['lowest_latency_buffer'];
      routing = {
        policy: 'peak-ewma',
        params: typeof buffer === 'number' && buffer >= 0 ? { buffer } : {},
      };
      r.note(
        'approximated',
        strategySetting!.path,
        "LiteLLM ranks deployments by their mean latency over a TTL window; Floodgate's peak-ewma ranks by a peak-sensitive moving average x in-flight",
      );
      break;
    }
    case 'cost-based-routing':
      routing = { policy: 'cost-aware' };
      r.note(
        'approximated',
        strategySetting!.path,
        "LiteLLM's costs come from its model price map; Floodgate's from the providers' pricing (set it in a template)",
      );
      break;
  }
  if (args)
    for (const key of Object.keys(argsObj))
      if (!(strategy === 'latency-based-routing' && key === 'lowest_latency_buffer'))
        r.note(
          'not-modelled',
          [...args.path, key],
          'routing strategy arguments other than lowest_latency_buffer are not modelled',
        );

  // Retries.
  const numSetting = setting('num_retries');
  const numRetries =
    (numSetting
      ? r.number(numSetting.value, numSetting.path, { min: 0, max: MAX_RETRIES, integer: true })
      : undefined) ?? DEFAULT_NUM_RETRIES;
  const counts: Record<RetryableError, number> = {
    'rate-limited': numRetries,
    'server-error': numRetries,
    timeout: numRetries,
    'stream-cut': 0,
  };
  const policy = setting('retry_policy');
  if (policy) {
    const o = r.object(policy.value, policy.path) ?? {};
    for (const [key, value] of Object.entries(o)) {
      if (!Object.hasOwn(RETRY_POLICY, key)) {
        r.note(
          'unknown',
          [...policy.path, key],
          `not a retry_policy key Floodgate knows (${Object.keys(RETRY_POLICY).join(', ')})`,
        );
        continue;
      }
      const n = r.number(value, [...policy.path, key], { min: 0, max: MAX_RETRIES, integer: true });
      const error = RETRY_POLICY[key];
      if (n === undefined) continue;
      if (error) counts[error] = n;
      else
        r.note(
          'not-modelled',
          [...policy.path, key],
          'this error does not happen in Floodgate, or its gateway never retries it (a 400)',
        );
    }
  }
  const on = (['rate-limited', 'server-error', 'timeout'] as const).filter((e) => counts[e] > 0);
  const max = Math.max(0, ...on.map((e) => counts[e]));
  if (new Set(on.map((e) => counts[e])).size > 1)
    r.note(
      'approximated',
      policy?.path ?? [],
      `retry counts differ by error (${on.map((e) => `${e} ${counts[e]}`).join(', ')}); Floodgate's gateway has one count: ${max} for each`,
    );
  const everyGroupShared = [...groups.values()].every((m) => m.length > 1);
  r.note(
    'approximated',
    numSetting?.path ?? [],
    "LiteLLM retries at once while the group has another healthy deployment, else after the retry-after (0-60 s) or min(0.5 s x 2^n, 8 s) x U[0.75, 1]; Floodgate's backoff " +
      (everyGroupShared
        ? 'is 0 (every group has 2+ deployments)'
        : 'is 0.5 s x 2^n x 0.875 (the jitter mean), capped at 7 s, after at least the retry-after'),
  );

  // Cooldowns: on by default in LiteLLM.
  const disable = setting('disable_cooldowns');
  const cooldownsOff = disable ? r.boolean(disable.value, disable.path) === true : false;
  let health: Record<string, unknown> | undefined;
  if (!cooldownsOff) {
    const params: Record<string, unknown> = {};
    const time = setting('cooldown_time');
    const seconds = time ? r.number(time.value, time.path, { min: 0, max: 86_400 }) : undefined;
    params['cooldownMs'] = (seconds ?? DEFAULT_COOLDOWN_S) * 1000;
    const allowed = setting('allowed_fails');
    if (allowed) {
      const n = r.number(allowed.value, allowed.path, { min: 0, max: 1_000_000, integer: true });
      if (n !== undefined) params['allowedFails'] = n;
    }
    const afp = setting('allowed_fails_policy');
    if (afp) {
      const o = r.object(afp.value, afp.path) ?? {};
      const modelled: Record<string, number> = {};
      for (const [key, value] of Object.entries(o)) {
        const n = r.number(value, [...afp.path, key], { min: 0, max: 1_000_000, integer: true });
        if (n === undefined) continue;
        if (ALLOWED_FAILS_MODELLED.includes(key)) modelled[key] = n;
        else
          r.note(
            'not-modelled',
            [...afp.path, key],
            'this error does not happen in Floodgate (no authentication, content or 400 cooldowns)',
          );
      }
      if (Object.keys(modelled).length > 0) params['allowedFailsPolicy'] = modelled;
    }
    health = { policy: 'cooldown', params };
  }

  // Fallbacks.
  const fallbacks = readFallbacks('fallbacks');
  const contextFallbacks = readFallbacks('context_window_fallbacks');
  if (contextFallbacks.size > 0)
    r.note(
      'not-modelled',
      setting('context_window_fallbacks')!.path,
      "a context window error is a 400, which Floodgate's gateway never retries or falls back on",
    );
  const chains: Record<string, string[]> = {};
  const wildcard = fallbacks.get('*');
  for (const [group, members] of groups) {
    const to = fallbacks.get(group) ?? wildcard;
    if (!to || to.length === 0) continue;
    const chain = to.filter((g) => g !== group).flatMap((g) => groups.get(g) ?? []);
    if (chain.length > 0) for (const m of members) chains[m] = chain;
  }
  if (Object.keys(chains).length > 0)
    r.note(
      'approximated',
      setting('fallbacks')!.path,
      "LiteLLM falls back after num_retries in the group and routes within each fallback group; Floodgate's chain goes to the fallback groups' deployments in order from the first failure, within the same retry count",
    );

  // Timeout.
  const timeout = setting('timeout') ?? setting('request_timeout');
  const timeoutS = timeout ? r.number(timeout.value, timeout.path, { min: 0.001, max: 86_400 }) : undefined;
  if (timeoutS !== undefined)
    r.note(
      'approximated',
      timeout!.path,
      "LiteLLM's timeout is the HTTP client's; Floodgate's per-attempt timeout runs to the first token when streaming, to completion otherwise",
    );

  r.throwIfProblems();
  const gatewaySection: Record<string, unknown> = {
    routing,
    ...(health ? { health } : {}),
    retries: {
      max: on.length > 0 ? max : 0,
      on: on.length > 0 ? on : ['rate-limited', 'server-error', 'timeout'],
      backoff: everyGroupShared
        ? { base: '0ms', jitter: 'none' }
        : { base: '438ms', multiplier: 2, cap: '7s', jitter: 'none' },
      respectRetryAfter: true,
    },
    ...(Object.keys(chains).length > 0 ? { fallbacks: chains, fallbacksChangeModel: true } : {}),
    ...(timeoutS !== undefined ? { attemptTimeout: `${Math.round(timeoutS * 1000)}ms` } : {}),
  };
  return { gateway: 'litellm', providers, gatewaySection, classModels: groupNames, notes: r.notes };
}
