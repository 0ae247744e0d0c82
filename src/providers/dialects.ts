/**
 * Provider API dialects: how each hosted API says what happened to a request, as data. The
 * simulator reads the error kinds and rate-limit headers from it; the emulator and the k6 scripts
 * are to serve and parse the same table (one source for every side).
 *
 * Sources (read, not copied): the providers' API references (OpenAI "Error codes" and "Rate
 * limits"; Anthropic "Errors", "Rate limits" and "Prompt caching"; Gemini API "Troubleshooting"
 * and "Context caching") and the official SDKs' retry code: openai-node and
 * anthropic-sdk-typescript `src/client.ts` (`shouldRetry`, `retryRequest`,
 * `calculateDefaultRetryTimeoutMillis`), js-genai `src/_api_client.ts` (`DEFAULT_RETRY_*`).
 */

/** The dialects a `kind: api` provider speaks (`api:` in a scenario). */
export const API_DIALECTS = ['openai-chat', 'openai-responses', 'anthropic-messages', 'gemini'] as const;
export type ApiDialect = (typeof API_DIALECTS)[number];

/** The dialect of a provider that names none. */
export const DEFAULT_API_DIALECT: ApiDialect = 'openai-chat';

/**
 * What the simulator's provider decided, before any dialect puts it on the wire:
 * - rate-limited: a rate limit refuses the request now (it passes after retry-after);
 * - quota: refused for good, waiting does not help (OpenAI's `insufficient_quota`): the
 *   simulator's provider answers it while a rate-limit storm cuts its limits to zero
 *   (`limitFactor: 0`), as the emulator does;
 * - overloaded: the provider has no room (its queue is full);
 * - server-error: any other server failure (an outage, an error-rate fault);
 * - bad-request: the request cannot be served (prompt + output beyond the context window).
 */
export const API_OUTCOMES = ['rate-limited', 'quota', 'overloaded', 'server-error', 'bad-request'] as const;
export type ApiOutcome = (typeof API_OUTCOMES)[number];

/**
 * The error kind a gateway classifies an answer as (`retries.on`, `fallbackOn`, hedging's
 * `nonFatal`). `overloaded` exists only where the dialect tells an overload apart from other
 * server errors by its status or type; elsewhere an overload is a `server-error`. Likewise
 * `quota` only where the dialect tells a quota apart from a rate limit (OpenAI's
 * `insufficient_quota`); elsewhere a quota is `rate-limited`.
 */
export type DialectErrorKind = 'rate-limited' | 'quota' | 'overloaded' | 'server-error' | 'bad-request';

/** One error answer on the wire. */
export interface DialectError {
  readonly httpStatus: number;
  /**
   * The error's type: OpenAI `error.type`, Anthropic `error.type`, Gemini `error.status` (the
   * google.rpc code name).
   */
  readonly type: string;
  /** OpenAI `error.code` (null there when absent); undefined where the dialect has no code field. */
  readonly code: string | undefined;
  /** How a gateway classifies it. */
  readonly kind: DialectErrorKind;
  /** Whether the answer carries `retry-after` (seconds). */
  readonly retryAfter: boolean;
}

/** Rate-limit headers a response carries: one name per limit, remaining and reset of each bucket. */
export interface RateLimitHeaderNames {
  readonly requests: { readonly limit: string; readonly remaining: string; readonly reset: string };
  /** Input tokens (OpenAI counts all tokens in one bucket: its `tokens` headers). */
  readonly inputTokens: { readonly limit: string; readonly remaining: string; readonly reset: string };
  /** Output tokens, where the dialect reports them apart (Anthropic). */
  readonly outputTokens:
    | { readonly limit: string; readonly remaining: string; readonly reset: string }
    | undefined;
  /**
   * How reset values are written: OpenAI a duration until the bucket is full again (`6m0s`,
   * `1s`, `20ms`); Anthropic an RFC 3339 time when it is.
   */
  readonly resetFormat: 'duration' | 'rfc3339';
}

/** Usage field names in a response (the non-streaming body; streams carry the same names). */
export interface UsageFields {
  /** Where usage sits in the body. */
  readonly path: string;
  readonly input: string;
  readonly output: string;
  /** Prompt tokens read from the prompt cache. */
  readonly cachedInput: string;
  /** Prompt tokens written to the cache (billed extra), where the dialect reports them. */
  readonly cacheWrite: string | undefined;
}

/** Prompt-caching prices as multiples of the base input price. */
export interface CachePricing {
  /** A cache read (hit). */
  readonly read: number;
  /** A cache write; 1 where writes cost nothing extra. */
  readonly write: number;
  /** Whether caching is automatic (a repeated prefix hits) or must be asked for per request. */
  readonly automatic: boolean;
}

/** What the dialect's official SDK retries by default. */
export interface SdkRetryRules {
  /** npm package. */
  readonly sdk: string;
  /** Retries after the first call by default (0: the SDK retries only when configured to). */
  readonly maxRetries: number;
  /** Statuses retried (`>=500` stands for every 5xx). */
  readonly statuses: readonly (number | '>=500')[];
  /** Backoff: first delay, cap, multiplier, and the jitter applied. */
  readonly backoff: {
    readonly initialMs: number;
    readonly maxMs: number;
    readonly multiplier: number;
    readonly jitter: string;
  };
  /** Headers it waits for instead of its backoff (when within `honoursUpToMs`). */
  readonly honours: readonly string[];
  readonly honoursUpToMs: number;
  /** A server header that forces or forbids a retry. */
  readonly shouldRetryHeader: string | undefined;
}

export interface DialectSpec {
  readonly name: ApiDialect;
  /** Request path (`{model}` stands for the model name). */
  readonly path: string;
  readonly streamPath: string;
  /** Authentication and version headers a request sends. */
  readonly requestHeaders: readonly string[];
  /** The error answer per outcome. */
  readonly errors: Readonly<Record<ApiOutcome, DialectError>>;
  /** Undefined: the dialect sends no rate-limit headers (Gemini). */
  readonly rateLimitHeaders: RateLimitHeaderNames | undefined;
  readonly usage: UsageFields;
  readonly cache: CachePricing;
  readonly sdkRetries: SdkRetryRules;
}

const OPENAI_RATE_LIMIT_HEADERS: RateLimitHeaderNames = {
  requests: {
    limit: 'x-ratelimit-limit-requests',
    remaining: 'x-ratelimit-remaining-requests',
    reset: 'x-ratelimit-reset-requests',
  },
  inputTokens: {
    limit: 'x-ratelimit-limit-tokens',
    remaining: 'x-ratelimit-remaining-tokens',
    reset: 'x-ratelimit-reset-tokens',
  },
  outputTokens: undefined,
  resetFormat: 'duration',
};

const OPENAI_ERRORS: Readonly<Record<ApiOutcome, DialectError>> = {
  'rate-limited': {
    httpStatus: 429,
    type: 'requests',
    code: 'rate_limit_exceeded',
    kind: 'rate-limited',
    retryAfter: true,
  },
  // Never passes by waiting: the SDKs still retry it (429), a gateway should not.
  quota: {
    httpStatus: 429,
    type: 'insufficient_quota',
    code: 'insufficient_quota',
    kind: 'quota',
    retryAfter: false,
  },
  // "The engine is currently overloaded": a 503 server_error, classified like any 5xx.
  overloaded: {
    httpStatus: 503,
    type: 'server_error',
    code: undefined,
    kind: 'server-error',
    retryAfter: false,
  },
  'server-error': {
    httpStatus: 500,
    type: 'server_error',
    code: undefined,
    kind: 'server-error',
    retryAfter: false,
  },
  'bad-request': {
    httpStatus: 400,
    type: 'invalid_request_error',
    code: 'context_length_exceeded',
    kind: 'bad-request',
    retryAfter: false,
  },
};

/** openai-node and anthropic-sdk-typescript share their retry rules (both Stainless-generated). */
const STAINLESS_RETRIES = {
  maxRetries: 2,
  statuses: [408, 409, 429, '>=500'],
  backoff: { initialMs: 500, maxMs: 8000, multiplier: 2, jitter: 'minus up to 25%' },
  honours: ['retry-after-ms', 'retry-after'],
  honoursUpToMs: 60_000,
  shouldRetryHeader: 'x-should-retry',
} as const;

const OPENAI_CHAT: DialectSpec = {
  name: 'openai-chat',
  path: '/v1/chat/completions',
  streamPath: '/v1/chat/completions',
  requestHeaders: ['authorization'],
  errors: OPENAI_ERRORS,
  rateLimitHeaders: OPENAI_RATE_LIMIT_HEADERS,
  usage: {
    path: 'usage',
    input: 'prompt_tokens',
    output: 'completion_tokens',
    cachedInput: 'prompt_tokens_details.cached_tokens',
    cacheWrite: undefined,
  },
  // Automatic for prompts of 1024 tokens and more; the discount is per model (0.5x on gpt-4o,
  // 0.25x on gpt-4.1, 0.1x on gpt-5): 0.5 here, a scenario's price overrides it.
  cache: { read: 0.5, write: 1, automatic: true },
  sdkRetries: { sdk: 'openai', ...STAINLESS_RETRIES },
};

export const DIALECTS: Readonly<Record<ApiDialect, DialectSpec>> = {
  'openai-chat': OPENAI_CHAT,
  'openai-responses': {
    ...OPENAI_CHAT,
    name: 'openai-responses',
    path: '/v1/responses',
    streamPath: '/v1/responses',
    usage: {
      path: 'usage',
      input: 'input_tokens',
      output: 'output_tokens',
      cachedInput: 'input_tokens_details.cached_tokens',
      cacheWrite: undefined,
    },
  },
  'anthropic-messages': {
    name: 'anthropic-messages',
    path: '/v1/messages',
    streamPath: '/v1/messages',
    requestHeaders: ['x-api-key', 'anthropic-version'],
    errors: {
      'rate-limited': {
        httpStatus: 429,
        type: 'rate_limit_error',
        code: undefined,
        kind: 'rate-limited',
        retryAfter: true,
      },
      // Anthropic has no separate quota error: a spend limit answers 429 rate_limit_error too.
      quota: {
        httpStatus: 429,
        type: 'rate_limit_error',
        code: undefined,
        kind: 'rate-limited',
        retryAfter: false,
      },
      // 529: the API is overloaded for everyone, not this account's limit.
      overloaded: {
        httpStatus: 529,
        type: 'overloaded_error',
        code: undefined,
        kind: 'overloaded',
        retryAfter: false,
      },
      'server-error': {
        httpStatus: 500,
        type: 'api_error',
        code: undefined,
        kind: 'server-error',
        retryAfter: false,
      },
      'bad-request': {
        httpStatus: 400,
        type: 'invalid_request_error',
        code: undefined,
        kind: 'bad-request',
        retryAfter: false,
      },
    },
    rateLimitHeaders: {
      requests: {
        limit: 'anthropic-ratelimit-requests-limit',
        remaining: 'anthropic-ratelimit-requests-remaining',
        reset: 'anthropic-ratelimit-requests-reset',
      },
      inputTokens: {
        limit: 'anthropic-ratelimit-input-tokens-limit',
        remaining: 'anthropic-ratelimit-input-tokens-remaining',
        reset: 'anthropic-ratelimit-input-tokens-reset',
      },
      outputTokens: {
        limit: 'anthropic-ratelimit-output-tokens-limit',
        remaining: 'anthropic-ratelimit-output-tokens-remaining',
        reset: 'anthropic-ratelimit-output-tokens-reset',
      },
      resetFormat: 'rfc3339',
    },
    usage: {
      path: 'usage',
      input: 'input_tokens',
      output: 'output_tokens',
      cachedInput: 'cache_read_input_tokens',
      cacheWrite: 'cache_creation_input_tokens',
    },
    // 5-minute cache: writes 1.25x the input price, reads 0.1x; asked for with cache_control.
    cache: { read: 0.1, write: 1.25, automatic: false },
    sdkRetries: { sdk: '@anthropic-ai/sdk', ...STAINLESS_RETRIES },
  },
  gemini: {
    name: 'gemini',
    path: '/v1beta/models/{model}:generateContent',
    streamPath: '/v1beta/models/{model}:streamGenerateContent?alt=sse',
    requestHeaders: ['x-goog-api-key'],
    errors: {
      // google.rpc codes: the quota failure names the limit; RetryInfo gives a retryDelay.
      'rate-limited': {
        httpStatus: 429,
        type: 'RESOURCE_EXHAUSTED',
        code: undefined,
        kind: 'rate-limited',
        retryAfter: false,
      },
      quota: {
        httpStatus: 429,
        type: 'RESOURCE_EXHAUSTED',
        code: undefined,
        kind: 'rate-limited',
        retryAfter: false,
      },
      // "The model is overloaded": 503 UNAVAILABLE, apart from 500 INTERNAL.
      overloaded: {
        httpStatus: 503,
        type: 'UNAVAILABLE',
        code: undefined,
        kind: 'overloaded',
        retryAfter: false,
      },
      'server-error': {
        httpStatus: 500,
        type: 'INTERNAL',
        code: undefined,
        kind: 'server-error',
        retryAfter: false,
      },
      'bad-request': {
        httpStatus: 400,
        type: 'INVALID_ARGUMENT',
        code: undefined,
        kind: 'bad-request',
        retryAfter: false,
      },
    },
    rateLimitHeaders: undefined,
    usage: {
      path: 'usageMetadata',
      input: 'promptTokenCount',
      output: 'candidatesTokenCount',
      cachedInput: 'cachedContentTokenCount',
      cacheWrite: undefined,
    },
    // Implicit caching on 2.5 models: cached tokens at a quarter of the input price.
    cache: { read: 0.25, write: 1, automatic: true },
    // js-genai sends one call unless `httpOptions.retryOptions` is set; then these defaults.
    sdkRetries: {
      sdk: '@google/genai',
      maxRetries: 0,
      statuses: [408, 429, 500, 502, 503, 504],
      backoff: { initialMs: 1000, maxMs: 60_000, multiplier: 2, jitter: 'randomized (p-retry)' },
      honours: [],
      honoursUpToMs: 0,
      shouldRetryHeader: undefined,
    },
  },
};

/** The dialect spec of `api` (the default dialect when undefined). */
export function dialectOf(api: ApiDialect | undefined): DialectSpec {
  return DIALECTS[api ?? DEFAULT_API_DIALECT];
}
