/**
 * The scenario schema: the one place that says what a scenario may contain, its units and its
 * defaults. YAML files and TypeScript objects go through the same schema (`ScenarioInput` is what
 * you write, `Scenario` is what the engine gets: every duration in ms, every rate per second,
 * every share a fraction, every default filled in).
 *
 * Reading guide: the unit helpers, then `providerSchema`, `workloadSchema`, `gatewaySchema`,
 * `sloSchema`, and `scenarioSchema` at the bottom, whose cross-reference checks (a class naming a
 * provider that does not exist...) run after the shape is valid.
 */
import { z } from 'zod';
import type { DistributionSpec } from '../engine/dist/index.ts';
import { GPUS, kvCapacityTokens, MODELS } from '../providers/gpu/catalog.ts';
import { didYouMean } from './suggest.ts';
import {
  type Parsed,
  parseCount,
  parseDuration,
  parseMultiplier,
  parseRate,
  parseShare,
  parseTokenRate,
} from './units.ts';

// ---------------------------------------------------------------------------------------------
// Helpers

/** A strict object: unknown keys are errors that list the nearest valid key (R10 in BLIS). */
function obj<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      const keys = (issue as { keys: string[] }).keys;
      return keys
        .map((k) => `unknown key '${k}'${didYouMean(k, known)}; valid keys: ${known.join(', ')}`)
        .join('; ');
    },
  });
}

interface Bounds {
  /** Smallest allowed value (inclusive unless `exclusiveMin`). */
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
  integer?: boolean;
}

/** A number written with a unit (or plain), parsed into canonical units and range-checked. */
function unit(parse: (input: unknown) => Parsed, noun: string, bounds: Bounds = {}) {
  return z.union([z.number(), z.string()], { error: () => `expected ${noun}` }).transform((input, ctx) => {
    const parsed = parse(input);
    if ('expected' in parsed) {
      ctx.issues.push({ code: 'custom', message: `expected ${parsed.expected}`, input });
      return z.NEVER;
    }
    const v = parsed.value;
    const problem = outOfBounds(v, bounds);
    if (problem) {
      ctx.issues.push({ code: 'custom', message: `expected ${noun} ${problem}`, input });
      return z.NEVER;
    }
    return v;
  });
}

function outOfBounds(v: number, b: Bounds): string | undefined {
  if (b.min !== undefined && (b.exclusiveMin ? !(v > b.min) : !(v >= b.min))) {
    return b.min === 0 && b.exclusiveMin ? 'greater than 0' : `${b.exclusiveMin ? '>' : '>='} ${b.min}`;
  }
  if (b.max !== undefined && !(v <= b.max)) return `<= ${b.max}`;
  if (b.integer && !Number.isInteger(v)) return 'that is a whole number';
  return undefined;
}

const duration = (bounds: Bounds = { min: 0 }) => unit(parseDuration, 'a duration', bounds);
const positiveDuration = () => duration({ min: 0, exclusiveMin: true });
const rate = (bounds: Bounds = { min: 0 }) => unit(parseRate, 'a rate', bounds);
const count = (bounds: Bounds = { min: 0 }) => unit(parseCount, 'a count', bounds);
const positiveInt = () => count({ min: 1, integer: true });
const share = () => unit(parseShare, 'a share', { min: 0, max: 1 });
const multiplier = () => unit(parseMultiplier, 'a multiplier', { min: 0 });
const money = () => z.number({ error: () => 'expected a price in USD (a number)' }).min(0);

/**
 * A distribution of values in one unit: `{ dist: lognormal, median: 400ms, p99: 1.5s }`, or a
 * bare value meaning "always this" (`service: 1s`).
 */
function distribution(value: () => z.ZodType<number, unknown>) {
  const variants = [
    obj({ dist: z.literal('deterministic'), value: value() }),
    obj({ dist: z.literal('exponential'), mean: value() }),
    obj({ dist: z.literal('uniform'), min: value(), max: value() }),
    obj({ dist: z.literal('normal'), mean: value(), stddev: value() }),
    obj({
      dist: z.literal('lognormal'),
      median: value().optional(),
      p99: value().optional(),
      mu: z.number().optional(),
      sigma: z.number().min(0).optional(),
    }),
    obj({ dist: z.literal('gamma'), mean: value(), cv: z.number().positive() }),
    obj({ dist: z.literal('empirical'), values: z.array(value()).min(1) }),
  ] as const;
  const names = variants.map((v) => v.shape.dist.value);
  const spec = z.discriminatedUnion('dist', variants, {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const found = (issue.input as { dist?: unknown } | undefined)?.dist;
      return `expected 'dist' to be one of ${names.map((n) => `'${n}'`).join(' | ')}${typeof found === 'string' ? didYouMean(found, names) : ''}`;
    },
  });
  return z
    .union([z.number(), z.string(), z.looseObject({})], {
      error: () => 'expected a distribution such as { dist: exponential, mean: 1s } or a single value',
    })
    .transform((input, ctx): DistributionSpec => {
      if (typeof input !== 'object') {
        const one = value().safeParse(input);
        if (!one.success) {
          for (const issue of one.error.issues)
            ctx.issues.push({
              code: 'custom',
              message: issue.message,
              input,
              path: issue.path as PropertyKey[],
            });
          return z.NEVER;
        }
        return { dist: 'deterministic', value: one.data };
      }
      const parsed = spec.safeParse(input);
      if (!parsed.success) {
        for (const issue of parsed.error.issues)
          ctx.issues.push({
            ...issue,
            code: 'custom',
            message: issue.message,
            path: issue.path as PropertyKey[],
          } as never);
        return z.NEVER;
      }
      const d = parsed.data;
      if (d.dist === 'lognormal') {
        if (d.median !== undefined && d.p99 !== undefined && d.mu === undefined && d.sigma === undefined) {
          if (!(d.median > 0) || !(d.p99 >= d.median)) {
            ctx.issues.push({ code: 'custom', message: 'expected 0 < median <= p99', input, path: ['p99'] });
            return z.NEVER;
          }
          return { dist: 'lognormal', median: d.median, p99: d.p99 };
        }
        if (d.mu !== undefined && d.sigma !== undefined && d.median === undefined && d.p99 === undefined) {
          return { dist: 'lognormal', mu: d.mu, sigma: d.sigma };
        }
        ctx.issues.push({
          code: 'custom',
          message: 'expected either { median, p99 } or { mu, sigma }',
          input,
        });
        return z.NEVER;
      }
      if (d.dist === 'uniform' && !(d.max >= d.min)) {
        ctx.issues.push({ code: 'custom', message: 'expected min <= max', input, path: ['max'] });
        return z.NEVER;
      }
      return d as DistributionSpec;
    });
}

const durationDist = () => distribution(() => duration());
const tokenDist = () => distribution(() => count());
const tokenRateDist = () =>
  distribution(() => unit(parseTokenRate, 'a token rate', { min: 0, exclusiveMin: true }));

// ---------------------------------------------------------------------------------------------
// Providers

const pricingSchema = obj({
  /** USD per million input (prompt) tokens. */
  inputPerMTok: money().default(0),
  /** USD per million output tokens. */
  outputPerMTok: money().default(0),
});

const commonProviderShape = {
  /** Unique name; classes, faults, fallbacks and results refer to it. */
  name: z.string().regex(/^[A-Za-z0-9][\w.:/-]*$/, 'expected a name of letters, digits and . _ - : /'),
  /** Model names this provider serves; defaults to [name]. */
  models: z.array(z.string()).min(1).optional(),
  pricing: pricingSchema.prefault({}),
};

/** Classic queueing: `servers` parallel servers, a FIFO queue, a service-time distribution. */
const queueProviderSchema = obj({
  ...commonProviderShape,
  kind: z.literal('queue'),
  servers: positiveInt(),
  service: durationDist(),
  /** Waiting room; arrivals beyond it get 503 (overloaded). Default: unbounded. */
  queueCapacity: count({ min: 0, integer: true }).optional(),
});

const rateLimitSchema = obj({
  /** Requests per minute. */
  rpm: count({ min: 0, exclusiveMin: true }).optional(),
  /** Input (prompt) tokens per minute. */
  inputTpm: count({ min: 0, exclusiveMin: true }).optional(),
  /** Output tokens per minute. */
  outputTpm: count({ min: 0, exclusiveMin: true }).optional(),
});

/** A hosted API: concurrency capacity with a queue, latency that degrades with load, rate limits. */
const apiProviderSchema = obj({
  ...commonProviderShape,
  kind: z.literal('api'),
  /** Requests served at once (the provider's share of capacity for this account). */
  capacity: positiveInt().default(100),
  /** Requests that may wait for capacity; beyond it the provider answers 503 overloaded. */
  queueCapacity: count({ min: 0, integer: true }).default(1000),
  /** Time to first token at low load, from the start of service (network round trip excluded). */
  ttft: durationDist().default({ dist: 'lognormal', median: 400, p99: 1500 }),
  /** Output speed in tokens per second at low load, drawn per request. */
  outputRate: tokenRateDist().default({ dist: 'lognormal', median: 100, p99: 160 }),
  /** How latency degrades as in-flight load approaches capacity (linear from `from` to full). */
  degradation: obj({
    from: share().default(0.7),
    ttft: multiplier().default(2),
    outputRate: multiplier().default(0.7),
  }).prefault({}),
  rateLimit: rateLimitSchema.optional(),
  /** Prompt + output tokens allowed; longer requests fail with 400. */
  contextWindow: count({ min: 1, integer: true }).default(128_000),
  /** Network round trip added to every response. */
  rtt: duration().default(0),
  /**
   * Prompt caching: a request whose prefix (class `prefix` group) reached this provider within
   * `ttl` pays `cachedInputPerMTok` for the prefix tokens, and the cached share of its prompt adds
   * only `ttftFactor` of its usual time to first token. Each hit refreshes the entry. Default: off.
   */
  promptCache: obj({
    ttl: positiveDuration().default(300_000),
    cachedInputPerMTok: money().default(0),
    ttftFactor: share().default(0.5),
  }).optional(),
  /** What a cancelled stream is billed: the tokens generated so far, all it would generate, or nothing. */
  cancelBilling: z.enum(['generated', 'full', 'none']).default('generated'),
});

/** A catalog name, or a profile written inline with the catalog's fields. */
function catalogRef<S extends z.ZodRawShape>(what: string, names: readonly string[], inline: S) {
  return z.union(
    [
      z.string().refine((n) => names.includes(n), {
        error: (issue) =>
          `expected a ${what} from the catalog (${names.join(', ')}) or an inline profile${typeof issue.input === 'string' ? didYouMean(issue.input, names) : ''}`,
      }),
      obj(inline),
    ],
    { error: () => `expected a ${what} name (${names.join(', ')}) or an inline profile` },
  );
}

const modelProfileSchema = catalogRef('model', Object.keys(MODELS), {
  activeParamsB: z.number().positive(),
  totalParamsB: z.number().positive().optional(),
  layers: positiveInt(),
  hiddenSize: positiveInt(),
  kvHeads: positiveInt(),
  headDim: positiveInt(),
  bytesPerWeight: z.number().positive().default(2),
  contextWindow: count({ min: 1, integer: true }).default(131_072),
});

const gpuProfileSchema = catalogRef('gpu', Object.keys(GPUS), {
  memoryGB: z.number().positive(),
  bandwidthTBps: z.number().positive(),
  bf16Tflops: z.number().positive(),
  mfuPrefill: z.number().positive().max(1).default(0.45),
  mfuDecode: z.number().positive().max(1).default(0.3),
});

/** A self-hosted pool: N replicas of a model on a GPU type, each with a vLLM-like scheduler. */
const gpuProviderSchema = obj({
  ...commonProviderShape,
  kind: z.literal('gpu'),
  model: modelProfileSchema,
  gpu: gpuProfileSchema,
  tensorParallel: positiveInt().default(1),
  replicas: positiveInt(),
  scheduler: obj({
    maxSeqs: positiveInt().default(256),
    maxBatchedTokens: positiveInt().default(8192),
    chunkedPrefill: z.boolean().default(true),
    chunkSize: positiveInt().default(512),
    blockSize: positiveInt().default(16),
    /** Share of GPU memory for weights and KV cache (vLLM gpu_memory_utilization). */
    memoryUtilization: share().default(0.9),
    /** KV blocks per replica; default derived from memory, weights and tensor parallelism. */
    kvBlocks: positiveInt().optional(),
    /** Blocks kept free when admitting (vLLM's watermark). */
    watermark: share().default(0.01),
  }).prefault({}),
  /**
   * Iteration time: `auto` uses the fitted coefficients when the catalog has a fit for this
   * model, GPU and tensor parallelism, else the roofline; or force one with its parameters.
   */
  timing: z
    .union([
      z.literal('auto'),
      obj({
        model: z.literal('roofline'),
        memoryEfficiency: share().optional(),
        stepOverheadMs: z.number().min(0).optional(),
        layerOverheadMs: z.number().min(0).optional(),
        seqOverheadMs: z.number().min(0).optional(),
        allReduceBaseMs: z.number().min(0).optional(),
        allReducePerDoublingMs: z.number().min(0).optional(),
      }),
      obj({
        model: z.literal('fitted'),
        /** A fit from the catalog, e.g. `llama-2-70b/h100-80gb/tp4`, or explicit coefficients. */
        from: z.string().optional(),
        coefficients: obj({
          a: z.number().min(0),
          b: z.number().min(0),
          c: z.number().min(0),
          d: z.number().min(0).default(0),
          e: z.number().min(0).default(0),
          f: z.number().min(0).default(0),
          g: z.number().default(0),
        }).optional(),
      }),
    ])
    .default('auto'),
  prefixCache: obj({ enabled: z.boolean().default(false), share: share().default(0.1) }).prefault({}),
  /** How the pool spreads requests when the gateway sees it as one target. */
  balancer: z.enum(['round-robin', 'least-loaded', 'random']).default('round-robin'),
  /** `replicas`: each replica is a gateway target (endpoint-picker style) named `name/i`. */
  expose: z.enum(['pool', 'replicas']).default('pool'),
  /** How often the gateway scrapes the replicas' gauges. Default 1 s (pool), 50 ms (replicas). */
  scrapeInterval: positiveDuration().optional(),
  /** A replica returning after a capacity loss serves again after this warm-up. */
  slowStart: duration().default(30_000),
  /** USD per replica-hour (the fleet's cost, reported beside token costs). */
  costPerReplicaHour: money().default(0),
});

const providerKinds = ['queue', 'api', 'gpu'] as const;
export const providerSchema = z.discriminatedUnion(
  'kind',
  [queueProviderSchema, apiProviderSchema, gpuProviderSchema],
  {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const found = (issue.input as { kind?: unknown } | undefined)?.kind;
      if (found === undefined) return `expected a 'kind': one of ${providerKinds.join(', ')}`;
      return `expected 'kind' to be one of ${providerKinds.map((k) => `'${k}'`).join(' | ')}${typeof found === 'string' ? didYouMean(found, providerKinds) : ''}`;
    },
  },
);

// ---------------------------------------------------------------------------------------------
// Faults

const faultWindow = {
  provider: z.string(),
  /** When the fault starts, from the start of the run. */
  at: duration(),
  /** How long it lasts. */
  for: positiveDuration(),
};
const faultSchema = z.discriminatedUnion(
  'kind',
  [
    /** Fast 503s: every attempt fails after the round trip. */
    obj({ ...faultWindow, kind: z.literal('outage') }),
    /** Latency times `latency`, and each attempt fails with probability `errorRate`. */
    obj({
      ...faultWindow,
      kind: z.literal('brownout'),
      latency: multiplier().default(1),
      errorRate: share().default(0),
    }),
    /** Rate limits cut to `limitFactor` of their configured values. */
    obj({ ...faultWindow, kind: z.literal('rate-limit-storm'), limitFactor: share() }),
    /** Attempts started in the window never answer; only the caller's timeout ends them. */
    obj({ ...faultWindow, kind: z.literal('hang') }),
    /** Streams die after `afterTokens` output tokens (with probability `probability`). */
    obj({
      ...faultWindow,
      kind: z.literal('stream-cut'),
      afterTokens: count({ min: 0, integer: true }),
      probability: share().default(1),
    }),
    /** A `fraction` of servers or capacity disappears; work already running finishes. */
    obj({ ...faultWindow, kind: z.literal('capacity-loss'), fraction: share() }),
  ],
  {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const kinds = ['outage', 'brownout', 'rate-limit-storm', 'hang', 'stream-cut', 'capacity-loss'];
      const found = (issue.input as { kind?: unknown } | undefined)?.kind;
      return `expected 'kind' to be one of ${kinds.map((k) => `'${k}'`).join(' | ')}${typeof found === 'string' ? didYouMean(found, kinds) : ''}`;
    },
  },
);

// ---------------------------------------------------------------------------------------------
// Workload

/** Errors a caller may retry on. */
export const RETRYABLE = ['rate-limited', 'server-error', 'timeout', 'stream-cut'] as const;
export type RetryableError = (typeof RETRYABLE)[number];

const backoffSchema = obj({
  /** First delay: base x multiplier^0. */
  base: duration().default(100),
  /** Upper bound of any delay. */
  cap: duration().default(10_000),
  multiplier: z.number().min(1).default(2),
  /** AWS Architecture Blog, "Exponential Backoff And Jitter" (2015). */
  jitter: z.enum(['none', 'full', 'equal', 'decorrelated']).default('full'),
});

const retryBudgetSchema = z.discriminatedUnion(
  'kind',
  [
    /** gRPC A6 retry throttling. */
    obj({
      kind: z.literal('token-bucket'),
      maxTokens: z.number().positive().default(10),
      tokenRatio: z.number().positive().default(0.1),
    }),
    /** Envoy's retry budget. */
    obj({
      kind: z.literal('percent'),
      percent: share().default(0.2),
      minRetries: count({ min: 0, integer: true }).default(3),
    }),
  ],
  {
    error: () =>
      'expected a retry budget { kind: token-bucket, maxTokens, tokenRatio } or { kind: percent, percent, minRetries }',
  },
);

const retrySchema = obj({
  max: count({ min: 0, integer: true }).default(0),
  /** Caps retries beyond `max`: at the gateway over all its requests, at the client per class. Default: none. */
  budget: retryBudgetSchema.optional(),
  on: z.array(z.enum(RETRYABLE)).default([...RETRYABLE]),
  backoff: backoffSchema.prefault({}),
  /** Wait at least the provider's retry-after on a 429. */
  respectRetryAfter: z.boolean().default(true),
});

const clientSchema = obj({
  /** The client cancels a try that has not completed within this time. Default: none. */
  timeout: positiveDuration().optional(),
  retries: retrySchema.prefault({}),
  /** Patience: the user gives up this long after the request arrived, whatever its state. */
  abandonAfter: durationDist().optional(),
});

const spikeSchema = obj({
  at: duration(),
  multiplier: multiplier(),
  rampUp: duration().default(0),
  hold: duration(),
  rampDown: duration().default(0),
});
const timelineEntrySchema = z.union(
  [
    /** Base rate moves linearly to `to` over [at, at + over] and stays there. */
    obj({ ramp: obj({ at: duration().default(0), over: duration(), from: rate().optional(), to: rate() }) }),
    /** Base rate jumps to `rate` at `at`. */
    obj({ step: obj({ at: duration(), rate: rate() }) }),
    /** A trapezoid multiplier: ramp up, hold, ramp down. */
    obj({ spike: spikeSchema }),
    /** Multiplier 1 + amplitude x cos(2 pi (t - peakAt) / period). */
    obj({
      diurnal: obj({
        period: positiveDuration().default(86_400_000),
        amplitude: share(),
        peakAt: duration().default(0),
      }),
    }),
    /** On/off bursts: multiplier during `on`, 1 during `off`, repeating from `start`. */
    obj({
      bursts: obj({
        on: positiveDuration(),
        off: positiveDuration(),
        multiplier: multiplier(),
        start: duration().default(0),
        end: duration().optional(),
      }),
    }),
  ],
  {
    error: () =>
      'expected one of { ramp: ... }, { step: ... }, { spike: ... }, { diurnal: ... }, { bursts: ... }',
  },
);

const traceSchema = obj({
  /** Path relative to the scenario file. */
  file: z.string(),
  /** `azure` is the Azure LLM inference trace (TIMESTAMP, ContextTokens, GeneratedTokens). */
  format: z.enum(['azure', 'csv', 'jsonl']).default('azure'),
  /** Play the trace this many times faster (2 = half the wall span). */
  speed: z.number().positive().default(1),
  /** Keep each record with this probability (< 1), or replay it this many times on average (> 1). */
  rateScale: z.number().positive().default(1),
  /** Skip this much of the trace's beginning. */
  start: duration().default(0),
  /** Start the trace over when it runs out before the scenario ends. */
  loop: z.boolean().default(false),
});

const arrivalsSchema = obj({
  process: z.enum(['poisson', 'uniform', 'gamma']).default('poisson'),
  /** Base rate (before timeline entries). */
  rate: rate().optional(),
  /** Coefficient of variation of gamma inter-arrival times (1 = Poisson, > 1 bursty). */
  cv: z.number().positive().default(1),
  timeline: z.array(timelineEntrySchema).default([]),
  trace: traceSchema.optional(),
});

const classSloSchema = obj({
  /** A completion counts toward goodput only if each of these holds for it. */
  ttft: positiveDuration().optional(),
  tpot: positiveDuration().optional(),
  e2e: positiveDuration().optional(),
});

const classSchema = obj({
  name: z.string().regex(/^[A-Za-z0-9][\w.-]*$/, 'expected a name of letters, digits and . _ -'),
  /** Share of the shared arrival stream (weights; normalised over classes without own arrivals). */
  share: z.number().min(0).default(1),
  /** This class's own arrival process instead of a share of `workload.arrivals`. */
  arrivals: arrivalsSchema.optional(),
  promptTokens: tokenDist().default({ dist: 'deterministic', value: 512 }),
  outputTokens: tokenDist().default({ dist: 'deterministic', value: 128 }),
  /** Higher is more important; priority-aware policies shed low priority first. */
  priority: z.number().int().default(0),
  /** The request is useless after this long; queues drop it then. */
  deadline: positiveDuration().optional(),
  stream: z.boolean().default(true),
  /** Models that may serve the class (providers serving any of them). Default: any. */
  models: z.array(z.string()).min(1).optional(),
  /** Providers that may serve the class. Default: any. */
  providers: z.array(z.string()).min(1).optional(),
  tenant: z.string().optional(),
  /**
   * Shared prompt prefixes (system prompts, repository context): each request draws one of
   * `groups` prefixes; the first `tokens` prompt tokens are that prefix (prefix caches reuse it).
   */
  prefix: obj({ groups: positiveInt(), tokens: count({ min: 1, integer: true }) }).optional(),
  slo: classSloSchema.prefault({}),
  /**
   * Time until the user's next keystroke (tab completions): a request not completed by then is
   * cancelled by the client; the cancel reaches the gateway and the provider. Default: never.
   */
  cancelAfter: durationDist().optional(),
  /**
   * Agent sessions: each arrival of this class is a session, a chain of `calls` LLM calls. Call
   * k+1 starts `thinkTime` after call k completes, with the previous context plus call k's output
   * plus `toolTokens` of tool output as its prompt (the last `maxContext` tokens kept). A failed
   * call is retried up to `retries` times, then the session is aborted.
   */
  session: obj({
    calls: tokenDist(),
    toolTokens: tokenDist().default({ dist: 'deterministic', value: 500 }),
    thinkTime: durationDist().default({ dist: 'deterministic', value: 1000 }),
    maxContext: count({ min: 1, integer: true }).default(128_000),
    retries: count({ min: 0, integer: true }).default(1),
  }).optional(),
  /** Client debounce: wait this long before sending; a keystroke within it means no request is sent. */
  debounce: duration().optional(),
  /** Overrides `workload.client` for this class. */
  client: clientSchema.optional(),
});

const workloadSchema = obj({
  arrivals: arrivalsSchema.optional(),
  classes: z.array(classSchema).min(1, 'expected at least one request class'),
  client: clientSchema.prefault({}),
});

// ---------------------------------------------------------------------------------------------
// Gateway

/** `round-robin`, `./policies/mine.ts` or `{ policy: aimd, params: { initial: 50 } }`. */
const policyRefSchema = z
  .union([z.string(), obj({ policy: z.string(), params: z.record(z.string(), z.unknown()).default({}) })], {
    error: () => 'expected a policy name, a path to a policy module, or { policy: NAME, params: {...} }',
  })
  .transform((v) => (typeof v === 'string' ? { policy: v, params: {} as Record<string, unknown> } : v));

const gatewaySchema = obj({
  admission: policyRefSchema.default({ policy: 'always-admit', params: {} }),
  routing: policyRefSchema.default({ policy: 'round-robin', params: {} }),
  /** Takes failing targets out of rotation (circuit breaker, outlier ejection, cooldown). Default: none. */
  health: policyRefSchema.optional(),
  /** Where requests wait when admission says `enqueue`. */
  queue: obj({
    capacity: count({ min: 0, integer: true }).default(10_000),
    order: z.enum(['fifo', 'lifo', 'priority']).default('fifo'),
    /** Requests waiting longer are shed. Default: none (the class deadline still applies). */
    maxWait: positiveDuration().optional(),
  }).prefault({}),
  /** Per-attempt timeout: to the first token when streaming, to completion otherwise. */
  attemptTimeout: positiveDuration().optional(),
  retries: retrySchema.prefault({}),
  /**
   * Hedged requests: while an attempt has not answered (its first token, when streaming) after
   * `after`, or after the `percentile` of recent successful attempts' latency once `minSamples` are
   * seen (never below `minDelay`), a backup attempt races it; the first to complete wins and the
   * other is cancelled. Default: none.
   */
  hedging: obj({
    after: positiveDuration().optional(),
    percentile: z.number().gt(0).lt(100).optional(),
    minSamples: positiveInt().default(20),
    minDelay: duration().default(0),
  })
    .refine((h) => h.after !== undefined || h.percentile !== undefined, {
      error: 'expected `after` or `percentile` (or both)',
    })
    .optional(),
  /** On a failed attempt at provider P, later attempts try these providers in order. */
  fallbacks: z.record(z.string(), z.array(z.string()).min(1)).default({}),
});

// ---------------------------------------------------------------------------------------------
// SLOs

export const LATENCY_METRICS = ['ttft', 'tpot', 'itl', 'e2e', 'queueWait'] as const;
export const STATS = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'mean', 'max'] as const;
export const SHARE_METRICS = [
  'cancelledShare',
  'errorShare',
  'shedShare',
  'timeoutShare',
  'rateLimitedShare',
  'goodputShare',
  'completedShare',
] as const;
export const OTHER_METRICS = ['amplification', 'costUsd', 'costPerRequestUsd'] as const;
const METRIC_NAMES = [
  ...LATENCY_METRICS.flatMap((m) => STATS.map((s) => `${m}.${s}`)),
  ...SHARE_METRICS,
  ...OTHER_METRICS,
];

const sloSchema = obj({
  name: z.string().optional(),
  /** e.g. `ttft.p99`, `e2e.mean`, `errorShare`, `goodputShare`, `amplification`, `costUsd`. */
  metric: z.string().refine((m) => METRIC_NAMES.includes(m), {
    error: (issue) =>
      `expected a metric such as ttft.p99, e2e.mean, errorShare, goodputShare, amplification${typeof issue.input === 'string' ? didYouMean(issue.input, METRIC_NAMES) : ''}`,
  }),
  /** Restrict to one request class. */
  class: z.string().optional(),
  max: z.union([z.number(), z.string()]).optional(),
  min: z.union([z.number(), z.string()]).optional(),
}).transform((slo, ctx) => {
  if ((slo.max === undefined) === (slo.min === undefined)) {
    ctx.issues.push({ code: 'custom', message: 'expected exactly one of max or min', input: slo });
    return z.NEVER;
  }
  const family = slo.metric.includes('.')
    ? 'latency'
    : (SHARE_METRICS as readonly string[]).includes(slo.metric)
      ? 'share'
      : 'number';
  const parse =
    family === 'latency'
      ? parseDuration
      : family === 'share'
        ? parseShare
        : (v: unknown): Parsed => (typeof v === 'number' ? { value: v } : { expected: 'a number' });
  const key = slo.max !== undefined ? 'max' : 'min';
  const parsed = parse(slo[key]);
  if ('expected' in parsed) {
    ctx.issues.push({ code: 'custom', message: `expected ${parsed.expected}`, input: slo[key], path: [key] });
    return z.NEVER;
  }
  return {
    name:
      slo.name ??
      `${slo.class ? `${slo.class} ` : ''}${slo.metric} ${key === 'max' ? '<=' : '>='} ${String(slo[key])}`,
    metric: slo.metric,
    class: slo.class,
    bound: key as 'max' | 'min',
    threshold: parsed.value,
  };
});

// ---------------------------------------------------------------------------------------------
// Recovery: the cascade verdict

const triggerSchema = obj({
  /** A label for the report (default: `trigger 1`, ...). */
  name: z.string().optional(),
  at: duration(),
  for: positiveDuration(),
});

/**
 * What recovering from a trigger (a spike, a fault) means. A window of `window` length is
 * healthy when the judged classes' goodput is at least `goodput` of what was offered in it (or of
 * the pre-trigger share, `relativeTo: baseline`), attempts per offered request stay within
 * `amplification`, and no provider is `saturation` deep in queued work. The verdict per trigger:
 * stable (healthy throughout), recovered (healthy for good within `within` of the trigger's end),
 * late (healthy for good, but later), metastable (never healthy again before the next trigger or
 * the end of arrivals although the trigger was gone), or inconclusive (too little run after it).
 */
const recoverySchema = obj({
  /** `auto`: every timeline spike and every fault window (overlapping ones merged). */
  triggers: z.union([z.literal('auto'), z.array(triggerSchema).min(1)]).default('auto'),
  /** Classes whose goodput is judged (default: all). */
  classes: z.array(z.string()).optional(),
  goodput: share().default(0.9),
  relativeTo: z.enum(['offered', 'baseline']).default('offered'),
  within: duration().default(60_000),
  /** Attempts per offered request a healthy window may not exceed (default: no bound). */
  amplification: multiplier().optional(),
  /** A provider whose mean queue reaches this many times its capacity is saturated (default: not judged). */
  saturation: multiplier().optional(),
  /** Evaluation window, rounded to whole time-series intervals. */
  window: positiveDuration().default(10_000),
});

// ---------------------------------------------------------------------------------------------
// Scenario

const scenarioShape = obj({
  name: z.string().min(1),
  description: z.string().optional(),
  /** Arrivals stop at `duration`; in-flight work then drains for up to `drain`. */
  duration: positiveDuration(),
  /** Requests arriving before this are left out of summary figures (time series keep them). */
  warmup: duration().default(0),
  drain: duration().default(60_000),
  seed: z.number().int().default(1),
  providers: z.array(providerSchema).min(1, 'expected at least one provider'),
  faults: z.array(faultSchema).default([]),
  workload: workloadSchema,
  gateway: gatewaySchema.prefault({}),
  slos: z.array(sloSchema).default([]),
  /** The cascade verdict: how the run must come back after each trigger. */
  recovery: recoverySchema.optional(),
  metrics: obj({
    /** Time-series window; `auto` picks a round value giving at most ~1000 windows (>= 1 s). */
    interval: z.union([z.literal('auto'), positiveDuration()]).default('auto'),
  }).prefault({}),
});
export const scenarioSchema = scenarioShape.superRefine((s, ctx) => crossReferences(s, ctx));

/** References between sections: names that must exist, windows that must fit. */
function crossReferences(s: z.output<typeof scenarioShape>, ctx: z.RefinementCtx): void {
  const providerNames = s.providers.map((p) => p.name);
  const models = new Set(s.providers.flatMap((p) => p.models ?? [p.name]));
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const unknownProvider = (path: PropertyKey[], name: string) =>
    issue(
      path,
      `expected one of the providers ${providerNames.map((n) => `'${n}'`).join(', ')}, got '${name}'${didYouMean(name, providerNames)}`,
    );

  const seen = new Set<string>();
  s.providers.forEach((p, i) => {
    if (seen.has(p.name))
      issue(['providers', i, 'name'], `expected a unique provider name, got '${p.name}' twice`);
    seen.add(p.name);
  });
  const classNames = s.workload.classes.map((c) => c.name);
  const seenClasses = new Set<string>();
  s.workload.classes.forEach((c, i) => {
    if (seenClasses.has(c.name))
      issue(['workload', 'classes', i, 'name'], `expected a unique class name, got '${c.name}' twice`);
    seenClasses.add(c.name);
    c.providers?.forEach((p, j) => {
      if (!providerNames.includes(p)) unknownProvider(['workload', 'classes', i, 'providers', j], p);
    });
    c.models?.forEach((m, j) => {
      if (!models.has(m))
        issue(
          ['workload', 'classes', i, 'models', j],
          `expected a model some provider serves (${[...models].join(', ')}), got '${m}'${didYouMean(m, [...models])}`,
        );
    });
  });
  const shared = s.workload.classes.filter((c) => !c.arrivals);
  if (shared.length > 0) {
    if (!s.workload.arrivals)
      issue(
        ['workload', 'arrivals'],
        `expected workload.arrivals: classes ${shared.map((c) => `'${c.name}'`).join(', ')} have no arrivals of their own`,
      );
    else if (shared.reduce((a, c) => a + c.share, 0) <= 0)
      issue(
        ['workload', 'classes'],
        'expected the classes sharing workload.arrivals to have shares adding up to more than 0',
      );
  }
  const checkArrivals = (a: z.output<typeof arrivalsSchema> | undefined, path: PropertyKey[]) => {
    if (!a) return;
    if (a.trace && (a.rate !== undefined || a.timeline.length > 0))
      issue([...path, 'trace'], 'expected either a trace or a rate (with its timeline), not both');
    if (!a.trace && a.rate === undefined && !a.timeline.some((e) => 'ramp' in e || 'step' in e))
      issue([...path, 'rate'], 'expected a rate (or a trace)');
  };
  checkArrivals(s.workload.arrivals, ['workload', 'arrivals']);
  s.workload.classes.forEach((c, i) => {
    checkArrivals(c.arrivals, ['workload', 'classes', i, 'arrivals']);
  });
  s.faults.forEach((f, i) => {
    if (!providerNames.includes(f.provider)) unknownProvider(['faults', i, 'provider'], f.provider);
  });
  for (const [from, to] of Object.entries(s.gateway.fallbacks)) {
    if (!providerNames.includes(from)) unknownProvider(['gateway', 'fallbacks', from], from);
    to.forEach((p, j) => {
      if (!providerNames.includes(p)) unknownProvider(['gateway', 'fallbacks', from, j], p);
    });
  }
  s.slos.forEach((slo, i) => {
    if (slo.class !== undefined && !classNames.includes(slo.class)) {
      issue(
        ['slos', i, 'class'],
        `expected one of the classes ${classNames.map((n) => `'${n}'`).join(', ')}, got '${slo.class}'${didYouMean(slo.class, classNames)}`,
      );
    }
  });
  if (s.recovery) recoveryReferences(s, ctx, classNames);
  s.providers.forEach((p, i) => {
    if (p.kind !== 'gpu' || p.scheduler.kvBlocks !== undefined) return;
    const model =
      typeof p.model === 'string'
        ? MODELS[p.model]!
        : { ...p.model, totalParamsB: p.model.totalParamsB ?? p.model.activeParamsB };
    const gpu = typeof p.gpu === 'string' ? GPUS[p.gpu]! : p.gpu;
    const tokens = kvCapacityTokens(model, gpu, p.tensorParallel, p.scheduler.memoryUtilization);
    if (tokens < p.scheduler.blockSize) {
      const weightsGB = (model.totalParamsB * model.bytesPerWeight).toFixed(1);
      const usableGB = (gpu.memoryGB * p.scheduler.memoryUtilization * p.tensorParallel).toFixed(1);
      issue(
        ['providers', i, 'tensorParallel'],
        `expected the model to fit with room for a KV cache: ${weightsGB} GB of weights in ${usableGB} GB usable at tensorParallel ${p.tensorParallel}; raise tensorParallel or memoryUtilization, got ${p.tensorParallel}`,
      );
    }
  });
  if (s.warmup >= s.duration)
    issue(['warmup'], `expected a warmup shorter than the duration (${s.duration} ms), got ${s.warmup} ms`);
}

function recoveryReferences(
  s: z.output<typeof scenarioShape>,
  ctx: z.RefinementCtx,
  classNames: string[],
): void {
  const r = s.recovery!;
  r.classes?.forEach((c, j) => {
    if (!classNames.includes(c))
      ctx.addIssue({
        code: 'custom',
        path: ['recovery', 'classes', j],
        message: `expected one of the classes ${classNames.map((n) => `'${n}'`).join(', ')}, got '${c}'${didYouMean(c, classNames)}`,
      });
  });
  if (r.triggers === 'auto') {
    const timelines = [s.workload.arrivals, ...s.workload.classes.map((c) => c.arrivals)];
    const spikes = timelines.some((a) => a?.timeline.some((e) => 'spike' in e));
    if (!spikes && s.faults.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['recovery', 'triggers'],
        message:
          'expected triggers to judge recovery from: the scenario has no spikes or faults, so list windows like [{ at: 5m, for: 30s }]',
      });
  } else {
    r.triggers.forEach((t, j) => {
      if (t.at >= s.duration)
        ctx.addIssue({
          code: 'custom',
          path: ['recovery', 'triggers', j, 'at'],
          message: `expected a trigger starting before the end of arrivals (${s.duration} ms), got ${t.at} ms`,
        });
    });
  }
}

/** What a scenario author writes (YAML or a TypeScript object). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** A validated scenario: canonical units, defaults filled in. */
export type Scenario = z.output<typeof scenarioSchema>;
export type ProviderConfig = Scenario['providers'][number];
export type QueueProviderConfig = Extract<ProviderConfig, { kind: 'queue' }>;
export type ApiProviderConfig = Extract<ProviderConfig, { kind: 'api' }>;
export type GpuProviderConfig = Extract<ProviderConfig, { kind: 'gpu' }>;
export type FaultConfig = Scenario['faults'][number];
export type ClassConfig = Scenario['workload']['classes'][number];
export type ArrivalsConfig = z.output<typeof arrivalsSchema>;
export type TimelineEntry = ArrivalsConfig['timeline'][number];
export type TraceConfig = z.output<typeof traceSchema>;
export type ClientConfig = z.output<typeof clientSchema>;
export type RetryConfig = z.output<typeof retrySchema>;
export type BackoffConfig = z.output<typeof backoffSchema>;
export type RetryBudgetConfig = z.output<typeof retryBudgetSchema>;
export type GatewayConfig = Scenario['gateway'];
export type PolicyRef = GatewayConfig['routing'];
export type SloConfig = Scenario['slos'][number];
export type RecoveryConfig = NonNullable<Scenario['recovery']>;
export type TriggerConfig = z.output<typeof triggerSchema>;
export type ClassSlo = ClassConfig['slo'];

/** Identity helper that types a scenario written in TypeScript. */
export function defineScenario(s: ScenarioInput): ScenarioInput {
  return s;
}
