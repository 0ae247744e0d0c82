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
import { API_DIALECTS } from '../providers/dialects.ts';
import { GPUS, kvCapacityTokens, MODELS } from '../providers/gpu/catalog.ts';
import { FITTED_COEFFICIENTS, fitKey } from '../providers/gpu/setup.ts';
import { quoted } from '../text/quote.ts';
import { disaggregationReferences, disaggregationSchema } from './disaggregation-schema.ts';
import { didYouMean } from './suggest.ts';
import { scenarioTriggers } from './triggers.ts';
import {
  formatDuration,
  type Parsed,
  parseCount,
  parseDuration,
  parseDurationWithUnit,
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
      return unknownKeysMessage((issue as { keys: string[] }).keys, known);
    },
  });
}

/** Unknown keys named in one message; the rest are counted (a file may hold thousands). */
const MAX_UNKNOWN_KEYS_SHOWN = 5;

/**
 * `unknown key 'servce' (did you mean 'service'?); valid keys: ...`, or for several
 * `unknown keys 'a', 'b' and 3 more; valid keys: ...`: the valid keys listed once, and only
 * the keys shown built, so 50,000 unknown keys cost no more than five.
 */
function unknownKeysMessage(keys: readonly string[], known: readonly string[]): string {
  const shown = keys.slice(0, MAX_UNKNOWN_KEYS_SHOWN).map((k) => `${quoted(k)}${didYouMean(k, known)}`);
  const more = keys.length - shown.length;
  const list = `${shown.join(', ')}${more > 0 ? ` and ${more.toLocaleString('en-US')} more` : ''}`;
  return `unknown key${keys.length === 1 ? '' : 's'} ${list}; valid keys: ${known.join(', ')}`;
}

interface Bounds {
  /** Smallest allowed value (inclusive unless `exclusiveMin`). */
  min?: number;
  exclusiveMin?: boolean;
  max?: number;
  /** How `min` and `max` read in a message (`1ms`, `365d`) when not plain numbers. */
  minText?: string;
  maxText?: string;
  integer?: boolean;
}

// Ranges that make sense. A value outside them is a mistake (a unit slip, a stray exponent), and
// left alone it would hang or exhaust a run; the work estimate (budget.ts) bounds their products.
/** Longest duration anywhere in a scenario. */
export const MAX_DURATION_MS = 365 * 86_400_000;
/** Highest arrival rate (per second) a timeline may name. */
export const MAX_RATE = 1e6;
/** Largest token count a distribution may name. */
export const MAX_TOKENS = 1e7;
/** Largest multiplier (spikes, bursts, degradation, amplification). */
export const MAX_MULTIPLIER = 1000;
/** Any other count (rate limits, queue capacities). */
export const MAX_COUNT = 1e12;
/**
 * Gamma coefficient of variation: below 0.01 the process is as regular as `uniform` (and as cv
 * goes to 0 the shape 1/cv^2 overflows to Infinity: gaps of NaN); above 10 the shape drops under
 * 0.01 and the u^(1/shape) boost underflows to gaps of exactly 0 for ever more draws, so the
 * sampled process is no longer the one asked for (cv 1e6 put every arrival at t = 0).
 */
export const CV_RANGE = { min: 0.01, max: 10 } as const;
/** Each class keeps ~0.4 MB of histograms: 500 of them stay near 200 MB. */
export const MAX_CLASSES = 500;
export const MAX_PROVIDERS = 1000;
/** Retries per request (gateway, client, session calls). */
export const MAX_RETRIES = 100;

/**
 * The unit schemas built so far, by parser, noun and bounds: a schema reads nothing but its
 * input, so the ~150 places that accept a value in a unit share one schema for each kind of value
 * rather than each building its own (zod builds five objects for one).
 */
const unitSchemas = new Map<(input: unknown) => Parsed, Map<string, ReturnType<typeof buildUnit>>>();

/** A number written with a unit (or plain), parsed into canonical units and range-checked. */
function unit(parse: (input: unknown) => Parsed, noun: string, bounds: Bounds = {}) {
  let byKey = unitSchemas.get(parse);
  if (byKey === undefined) unitSchemas.set(parse, (byKey = new Map()));
  const key = JSON.stringify([noun, bounds]);
  let schema = byKey.get(key);
  if (schema === undefined) byKey.set(key, (schema = buildUnit(parse, noun, bounds)));
  return schema;
}

function buildUnit(parse: (input: unknown) => Parsed, noun: string, bounds: Bounds) {
  return z.union([z.number(), z.string()], { error: () => `expected ${noun}` }).transform((input, ctx) => {
    const parsed = parse(input);
    if ('expected' in parsed) {
      ctx.issues.push({ code: 'custom', message: `expected ${parsed.expected}`, input });
      return z.NEVER;
    }
    const v = parsed.value;
    if (!Number.isFinite(v)) {
      ctx.issues.push({ code: 'custom', message: `expected ${noun} that is a finite number`, input });
      return z.NEVER;
    }
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
    if (b.min === 0 && b.exclusiveMin) return 'greater than 0';
    return `${b.exclusiveMin ? '>' : '>='} ${b.minText ?? b.min}`;
  }
  if (b.max !== undefined && !(v <= b.max)) return `<= ${b.maxText ?? b.max}`;
  if (b.integer && !Number.isInteger(v)) return 'that is a whole number';
  return undefined;
}

/**
 * Whether a bare number is a duration in milliseconds (TypeScript scenarios) or a mistake (YAML,
 * where `attemptTimeout: 20` reads as 20 s to most people). Set only for the duration of one
 * synchronous `parseScenario` call.
 */
let bareDurationsAreMs = true;
const parseDurationHere = (input: unknown): Parsed =>
  bareDurationsAreMs ? parseDuration(input) : parseDurationWithUnit(input);

const duration = (bounds: Bounds = {}) =>
  unit(parseDurationHere, 'a duration', { min: 0, max: MAX_DURATION_MS, maxText: '365d', ...bounds });
const positiveDuration = () => duration({ min: 0, exclusiveMin: true });
/** A period that schedules events each time it elapses (scrapes, windows): 1 ms or more. */
const periodDuration = () => duration({ min: 1, minText: '1ms' });
const rate = () => unit(parseRate, 'a rate', { min: 0, max: MAX_RATE, maxText: '1M/s' });
const count = (bounds: Bounds = {}) => unit(parseCount, 'a count', { min: 0, max: MAX_COUNT, ...bounds });
const positiveInt = (max = MAX_COUNT) => count({ min: 1, integer: true, max });
const tokens = () => count({ max: MAX_TOKENS, maxText: '10M' });
const retryCount = () => count({ min: 0, integer: true, max: MAX_RETRIES });
const share = () => unit(parseShare, 'a share', { min: 0, max: 1 });
const multiplier = () => unit(parseMultiplier, 'a multiplier', { min: 0, max: MAX_MULTIPLIER });
const money = () => z.number({ error: () => 'expected a price in USD (a number)' }).min(0);
const cv = () => {
  const expected = `expected a coefficient of variation from ${CV_RANGE.min} to ${CV_RANGE.max}`;
  return z
    .number({ error: () => expected })
    .min(CV_RANGE.min, expected)
    .max(CV_RANGE.max, expected);
};

/** `auto`, or a value of `schema` (whose own message is kept, unlike a plain union's). */
function autoOr<T>(schema: z.ZodType<T, unknown>) {
  return z
    .union([z.number(), z.string()], { error: () => "expected 'auto' or a duration" })
    .transform((input, ctx): 'auto' | T => {
      if (input === 'auto') return 'auto';
      const parsed = schema.safeParse(input);
      if (parsed.success) return parsed.data;
      for (const issue of parsed.error.issues)
        ctx.issues.push({
          code: 'custom',
          message: issue.message.replace(/^expected a /, "expected 'auto' or a "),
          input,
        });
      return z.NEVER;
    });
}

/** The written-out forms of a distribution, one variant per `dist`. */
function distributionSpec(value: () => z.ZodType<number, unknown>) {
  const variants = [
    obj({ dist: z.literal('deterministic'), value: value() }),
    obj({ dist: z.literal('exponential'), mean: value() }),
    obj({ dist: z.literal('uniform'), min: value(), max: value() }),
    obj({ dist: z.literal('normal'), mean: value(), stddev: value() }),
    obj({
      dist: z.literal('lognormal'),
      median: value().optional(),
      p99: value().optional(),
      mu: z.number().min(-100).max(100).optional(),
      sigma: z.number().min(0).max(10).optional(),
    }),
    obj({ dist: z.literal('gamma'), mean: value(), cv: cv() }),
    obj({ dist: z.literal('empirical'), values: z.array(value()).min(1).max(1_000_000) }),
  ] as const;
  const names = variants.map((v) => v.shape.dist.value);
  return z.discriminatedUnion('dist', variants, {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const found = (issue.input as { dist?: unknown } | undefined)?.dist;
      return `expected 'dist' to be one of ${names.map((n) => `'${n}'`).join(' | ')}${typeof found === 'string' ? didYouMean(found, names) : ''}`;
    },
  });
}

/**
 * A distribution of values in one unit: `{ dist: lognormal, median: 400ms, p99: 1.5s }`, or a
 * bare value meaning "always this" (`service: 1s`).
 */
function distribution(value: () => z.ZodType<number, unknown>) {
  // The schemas that read a written-out distribution are built on first use, not at start-up: a
  // scenario writes a few distributions, and building all seven variants for each of the
  // fourteen places that accept one was a tenth of every `floodgate` start.
  let single: z.ZodType<number, unknown> | undefined;
  let spec: ReturnType<typeof distributionSpec> | undefined;
  return z
    .union([z.number(), z.string(), z.looseObject({})], {
      error: () => 'expected a distribution such as { dist: exponential, mean: 1s } or a single value',
    })
    .transform((input, ctx): DistributionSpec => {
      if (typeof input !== 'object') {
        single ??= value();
        const one = single.safeParse(input);
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
      spec ??= distributionSpec(value);
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
const tokenDist = () => distribution(() => tokens());
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
  servers: positiveInt(100_000),
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
  /**
   * The API dialect it speaks (src/providers/dialects.ts): its error kinds and rate-limit
   * headers. Default: openai-chat.
   */
  api: z.enum(API_DIALECTS).optional(),
  /** Requests served at once (the provider's share of capacity for this account). */
  capacity: positiveInt(1_000_000).default(100),
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
  contextWindow: count({ min: 1, integer: true, max: 100_000_000 }).default(128_000),
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
  activeParamsB: z.number().positive().max(100_000),
  totalParamsB: z.number().positive().max(100_000).optional(),
  layers: positiveInt(10_000),
  hiddenSize: positiveInt(1_000_000),
  kvHeads: positiveInt(100_000),
  headDim: positiveInt(100_000),
  bytesPerWeight: z.number().positive().max(16).default(2),
  contextWindow: count({ min: 1, integer: true, max: 100_000_000 }).default(131_072),
});

const gpuProfileSchema = catalogRef('gpu', Object.keys(GPUS), {
  memoryGB: z.number().positive().max(1_000_000),
  bandwidthTBps: z.number().positive().max(1_000_000),
  bf16Tflops: z.number().positive().max(1_000_000_000),
  mfuPrefill: z.number().positive().max(1).default(0.45),
  mfuDecode: z.number().positive().max(1).default(0.3),
  /** GPU-to-GPU GB/s each way (NVLink); prices tensor-parallel all-reduces. Absent: none. */
  interconnectGBps: z.number().positive().max(1_000_000).optional(),
});

/**
 * One HPA scaling rule (autoscaling/v2 HPAScalingRules): a stabilization window, and policies
 * limiting the change per period, of which `selectPolicy` picks the largest change (Max), the
 * smallest (Min), or none (Disabled).
 */
function hpaScalingRules(
  windowMs: number,
  policies: { type: 'pods' | 'percent'; value: number; period: number }[],
) {
  return obj({
    stabilizationWindow: duration({ max: 3_600_000, maxText: '1h' }).default(windowMs),
    selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default('Max'),
    policies: z
      .array(
        obj({
          type: z.enum(['pods', 'percent']),
          value: count({ min: 1, integer: true, max: 100_000 }),
          period: duration({ min: 1000, minText: '1s', max: 1_800_000, maxText: '30m' }),
        }),
      )
      .min(1)
      .max(10)
      .default(policies),
  }).prefault({});
}

/**
 * A GPU pool's autoscaler, modelled on the Kubernetes HorizontalPodAutoscaler (autoscaling/v2).
 * Defaults are Kubernetes's: sync period 15 s (--horizontal-pod-autoscaler-sync-period),
 * tolerance 0.1 (--horizontal-pod-autoscaler-tolerance), scale-up with no stabilization and at
 * most max(4 pods, 100%) per 15 s, scale-down stabilized over 300 s and at most 100% per 15 s
 * (the HPA's default behavior). Capacity arrives late: a new replica is billed from the request
 * and takes traffic after provisioning, model load and warm-up.
 */
const autoscalingSchema = obj({
  /** `hpa` (absent) or `keda`: KEDA's 0 <-> 1 activation in front of the HPA's 1 <-> N (keda.ts). */
  kind: z.enum(['hpa', 'keda']).optional(),
  /** 0 only with `kind: keda` (scale to zero; KEDA's minReplicaCount defaults to 0). */
  min: count({ min: 0, integer: true, max: 10_000 }),
  max: positiveInt(10_000),
  /**
   * A per-replica gauge, averaged over the replicas that report it (as HPA's Pods metrics);
   * `requestRate`: the requests per second the pool received since the previous scrape, per replica.
   */
  metric: z.enum(['waiting', 'running', 'kvUsage', 'inFlight', 'requestRate']).default('inFlight'),
  /** The per-replica average the autoscaler aims at (HPA's target averageValue). */
  target: z
    .number({ error: () => 'expected a target value (a number > 0)' })
    .positive()
    .max(1_000_000),
  tolerance: z
    .number({ error: () => 'expected a tolerance (a number from 0 to 1)' })
    .min(0)
    .max(1)
    .default(0.1),
  syncPeriod: duration({ min: 1000, minText: '1s', max: 600_000, maxText: '10m' }).default(15_000),
  /** How often the metrics pipeline scrapes the replicas (Prometheus's default 15 s). */
  scrapeInterval: duration({ min: 1000, minText: '1s', max: 600_000, maxText: '10m' }).default(15_000),
  /** How old the newest scrape the autoscaler reads is (the metrics adapter's lag). */
  adapterDelay: duration({ max: 600_000, maxText: '10m' }).default(0),
  scaleUp: hpaScalingRules(0, [
    { type: 'pods', value: 4, period: 15_000 },
    { type: 'percent', value: 100, period: 15_000 },
  ]),
  scaleDown: hpaScalingRules(300_000, [{ type: 'percent', value: 100, period: 15_000 }]),
  /** From the scale-up request to a node with the replica's pod scheduled on it. */
  provisioning: distribution(() => duration()).default({ dist: 'deterministic', value: 0 }),
  /** Loading the weights: a fixed time, or the weights' size over a load bandwidth. */
  modelLoad: z
    .union([
      obj({
        weightsGB: z.number().positive().max(100_000),
        bandwidthGBps: z.number().positive().max(10_000),
      }),
      duration(),
    ])
    .default(0),
  /** After the load, before the replica takes traffic (CUDA graphs, warm-up requests). */
  warmUp: duration().default(0),
  // KEDA only (kind: keda; defaults in keda.ts, from KEDA's ScaledObject specification).
  /** How often KEDA checks the trigger for activation (default 30 s). */
  pollingInterval: duration({ min: 1000, minText: '1s', max: 600_000, maxText: '10m' }).optional(),
  /** After the trigger was last active, before scaling to zero (default 300 s). */
  cooldownPeriod: duration({ max: 86_400_000, maxText: '24h' }).optional(),
  /** After the start, before the first scale to zero while never active (default 0 s). */
  initialCooldownPeriod: duration({ max: 86_400_000, maxText: '24h' }).optional(),
  /** The trigger is active while the metric's total is above this (default 0). */
  activationTarget: z
    .number({ error: () => 'expected an activation target (a number >= 0)' })
    .min(0)
    .max(1_000_000)
    .optional(),
  /**
   * Replicas while no trigger is active (KEDA's idleReplicaCount): below `min`, and 0, the only
   * value KEDA supports; an active trigger scales straight to `min`. Absent: idle goes to `min`.
   */
  idleReplicaCount: count({
    min: 0,
    integer: true,
    max: 0,
    maxText: '0 (the only value KEDA supports)',
  }).optional(),
  /**
   * KEDA's fallback: once the metric source has failed more than `failureThreshold` reads in a
   * row, the trigger reads target x `replicas`, so the pool goes to `replicas`.
   */
  fallback: obj({
    failureThreshold: count({ min: 0, integer: true, max: 10_000 }),
    replicas: count({ min: 1, integer: true, max: 10_000 }),
  }).optional(),
  /**
   * Requests that reach the pool while no replica is ready (scaled to zero, or the first still
   * starting): `wait` up to `maxWait` in front of the pool, as KEDA's HTTP add-on interceptor
   * holds them (then a 503), or `refuse` at once with a 503. Default: wait, 20 s.
   */
  coldStart: obj({
    requests: z.enum(['wait', 'refuse']).default('wait'),
    maxWait: duration({ max: 3_600_000, maxText: '1h' }).default(20_000),
  }).optional(),
});

/**
 * The nodes an autoscaled GPU pool's replicas run on (node-pool.ts): nodes of the pool's `gpu`
 * with `gpusPerNode` GPUs each (gpusPerNode / tensorParallel replicas), added by a cluster
 * autoscaler after `provisioning` and removed after `scaleDownUnneededTime` empty (the
 * cluster-autoscaler's --scale-down-unneeded-time, 10 min by default). The fleet bills nodes.
 */
const nodePoolSchema = obj({
  gpusPerNode: positiveInt(1024),
  /** USD per node-hour, from the node's request until it is removed. */
  costPerNodeHour: money(),
  /** From a node's request to it being ready for pods (cluster-autoscaler or Karpenter: minutes). */
  provisioning: durationDist().default({ dist: 'deterministic', value: 0 }),
  maxNodes: positiveInt(10_000),
  scaleDownUnneededTime: duration({ max: 86_400_000, maxText: '24h' }).default(600_000),
});

/** A self-hosted pool: N replicas of a model on a GPU type, each with a vLLM-like scheduler. */
const gpuProviderSchema = obj({
  ...commonProviderShape,
  kind: z.literal('gpu'),
  model: modelProfileSchema,
  gpu: gpuProfileSchema,
  tensorParallel: positiveInt(1024).default(1),
  replicas: positiveInt(10_000),
  /**
   * Defaults are vLLM's for its OpenAI server on an H100-class GPU (vllm/engine/arg_utils.py,
   * get_batch_defaults, vLLM 0.11: 8192 batched tokens, 1024 sequences; A100 and smaller GPUs get
   * 2048 and 256 there), chunked prefill on, no per-sequence chunk cap (long_prefill_token_threshold 0).
   */
  scheduler: obj({
    maxSeqs: positiveInt(1_000_000).default(1024),
    maxBatchedTokens: positiveInt(MAX_TOKENS).default(8192),
    chunkedPrefill: z.boolean().default(true),
    /** Most prompt tokens one sequence prefills per iteration (vLLM long_prefill_token_threshold). */
    chunkSize: positiveInt(MAX_TOKENS).optional(),
    blockSize: positiveInt(1024).default(16),
    /** Share of GPU memory for weights and KV cache (vLLM gpu_memory_utilization). */
    memoryUtilization: share().default(0.9),
    /** KV blocks per replica; default derived from memory, weights and tensor parallelism. */
    kvBlocks: positiveInt(1_000_000_000).optional(),
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
          /** ms more per prefill token beyond `knee` tokens in one iteration. */
          h: z.number().min(0).optional(),
          knee: z.number().min(0).max(MAX_TOKENS).optional(),
          /** ms per prompt beyond the first in one prefill iteration. */
          s: z.number().min(0).optional(),
        }).optional(),
      }),
    ])
    .default('auto'),
  /**
   * Automatic prefix caching (vLLM's): prompt blocks stay cached in free KV memory, evicted least
   * recently used; `share` caps that memory to a share of the KV blocks (default: no cap).
   * `offload`: a CPU tier per replica holding the blocks evicted from GPU KV (kv-offload-tier.ts).
   */
  prefixCache: obj({
    enabled: z.boolean().default(false),
    share: share().optional(),
    offload: obj({
      /** CPU memory per replica for KV blocks, GB (vLLM's --kv-offloading-size; LMCache's max_local_cpu_size). */
      sizeGB: z
        .number({ error: () => 'expected a size in GB (a number > 0)' })
        .positive()
        .max(1_000_000),
      /**
       * Host-to-device GB/s per GPU (each GPU loads its share of the KV over its own link).
       * Default 50: PCIe 5.0 x16 carries 64 GB/s each way; vLLM measured about 50 GB/s one way
       * between an H100 and pinned host memory with 2 MB blocks (DMA copies; 83.4 both ways at
       * once), the block size its offloading connector moves for Llama-3.1-8B ("Inside vLLM's New
       * KV Offloading Connector", blog.vllm.ai, 2026-01-08).
       */
      bandwidthGBps: z
        .number({ error: () => 'expected a bandwidth in GB/s (a number > 0)' })
        .positive()
        .max(100_000)
        .default(50),
      /** Fixed cost of one load (default 0). */
      latency: duration({ max: 60_000, maxText: '1m' }).default(0),
    }).optional(),
  }).prefault({}),
  /** How the pool spreads requests when the gateway sees it as one target. */
  balancer: z.enum(['round-robin', 'least-loaded', 'random']).default('round-robin'),
  /** `replicas`: each replica is a gateway target (endpoint-picker style) named `name/i`. */
  expose: z.enum(['pool', 'replicas']).default('pool'),
  /** How often the gateway scrapes the replicas' gauges. Default 1 s (pool), 50 ms (replicas). */
  scrapeInterval: periodDuration().optional(),
  /** A replica returning after a capacity loss serves again after this warm-up. */
  slowStart: duration().default(30_000),
  /** USD per replica-hour (the fleet's cost, reported beside token costs). */
  costPerReplicaHour: money().default(0),
  /** An HPA-like autoscaler (absent: `replicas` fixed for the run). It starts at `replicas` kept within min..max. */
  autoscaling: autoscalingSchema.optional(),
  /** Disaggregated prefill and decode (disaggregation-schema.ts); absent: colocated. */
  disaggregation: disaggregationSchema({
    obj,
    duration: () => duration(),
    positiveInt,
    money,
    gpuProfile: gpuProfileSchema,
    maxTokens: MAX_TOKENS,
  }).optional(),
  /** Nodes the replicas run on, billed per node-hour (needs `autoscaling`; absent: replicas are billed). */
  nodePool: nodePoolSchema.optional(),
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
      afterTokens: count({ min: 0, integer: true, max: MAX_TOKENS }),
      probability: share().default(1),
    }),
    /** A `fraction` of servers or capacity disappears; work already running finishes. */
    obj({ ...faultWindow, kind: z.literal('capacity-loss'), fraction: share() }),
    /**
     * The metric source an autoscaled GPU pool reads (e.g. Prometheus and its adapter) fails:
     * every read in the window errors (an HPA keeps its scale; KEDA's `fallback` applies after
     * `failureThreshold` of them in a row).
     */
    obj({ ...faultWindow, kind: z.literal('metrics-outage') }),
    /**
     * Spot capacity reclaimed: at `at` a GPU pool gets `notice` for its `replicas` newest ready
     * replicas, which drain (no new work) and are gone at `at + notice`, cutting what still runs
     * (its window, `for`, is the notice). An autoscaled pool replaces them at notice.
     */
    obj({
      provider: z.string(),
      at: duration(),
      kind: z.literal('spot-reclaim'),
      replicas: count({ min: 1, integer: true, max: 100_000 }),
      notice: positiveDuration(),
    }),
  ],
  {
    error: (issue) => {
      if (issue.code !== 'invalid_union') return undefined;
      const kinds = [
        'outage',
        'brownout',
        'rate-limit-storm',
        'hang',
        'stream-cut',
        'capacity-loss',
        'spot-reclaim',
        'metrics-outage',
      ];
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
/**
 * Every error kind a retry or fallback list may name: the defaults' kinds, `overloaded`, an
 * overload a provider's dialect tells apart from other server errors (Anthropic's 529, Gemini's
 * 503 UNAVAILABLE), and `quota`, a quota refusal it tells apart from a rate limit (OpenAI's 429
 * `insufficient_quota`). `server-error` in a list covers `overloaded` too, `rate-limited` covers
 * `quota` (src/gateway/try-listener.ts).
 */
export const RETRY_ERRORS = [...RETRYABLE, 'overloaded', 'quota'] as const;
export type RetryError = (typeof RETRY_ERRORS)[number];

const backoffSchema = obj({
  /** First delay: base x multiplier^0. */
  base: duration().default(100),
  /** Upper bound of any delay. */
  cap: duration().default(10_000),
  multiplier: z.number().min(1).max(MAX_MULTIPLIER).default(2),
  /** AWS Architecture Blog, "Exponential Backoff And Jitter" (2015). */
  jitter: z.enum(['none', 'full', 'equal', 'decorrelated']).default('full'),
});

const MAX_TOKENS_EXPECTED =
  'expected a whole number from 1 to 1000 (gRPC A6: maxTokens is an integer in (0, 1000])';
const TOKEN_RATIO_EXPECTED =
  'expected a number from 0.001 (gRPC A6 counts tokenRatio to 3 decimal places: a smaller ratio would count as 0)';

const retryBudgetSchema = z.discriminatedUnion(
  'kind',
  [
    /**
     * gRPC A6 retry throttling: the token count starts at `maxTokens`; a failure the caller would
     * retry takes 1 token, a success adds `tokenRatio`; retries (and hedges) go out only while the
     * count is above maxTokens / 2.
     */
    obj({
      kind: z.literal('token-bucket'),
      /** A6: an integer in (0, 1000]. */
      maxTokens: z
        .number({ error: () => MAX_TOKENS_EXPECTED })
        .int(MAX_TOKENS_EXPECTED)
        .min(1, MAX_TOKENS_EXPECTED)
        .max(1000, MAX_TOKENS_EXPECTED)
        .default(10),
      /** A6: greater than 0; decimal places beyond 3 are ignored (0.5466 counts as 0.546). */
      tokenRatio: z
        .number({ error: () => TOKEN_RATIO_EXPECTED })
        .min(0.001, TOKEN_RATIO_EXPECTED)
        .max(MAX_COUNT, TOKEN_RATIO_EXPECTED)
        .default(0.1),
    }),
    /** Envoy's retry budget. */
    obj({
      kind: z.literal('percent'),
      percent: share().default(0.2),
      minRetries: count({ min: 0, integer: true, max: 1_000_000 }).default(3),
    }),
  ],
  {
    error: () =>
      'expected a retry budget { kind: token-bucket, maxTokens, tokenRatio } or { kind: percent, percent, minRetries }',
  },
);

const retryShape = {
  max: retryCount().default(0),
  /** Caps retries beyond `max`: at the gateway over all its requests, at the client per class. Default: none. */
  budget: retryBudgetSchema.optional(),
  on: z.array(z.enum(RETRYABLE)).default([...RETRYABLE]),
  backoff: backoffSchema.prefault({}),
  /** Wait at least the provider's retry-after on a 429 (gateway only). */
  respectRetryAfter: z.boolean().default(true),
  /**
   * gRPC A6 server pushback (gateway only): a provider's retry-after on a 429 is read as
   * `grpc-retry-pushback-ms`. A retry the policy allows waits exactly that long (not at least),
   * and the backoff of later retries starts again from `base`; under A6 hedging the next hedge
   * goes out that long after the 429. A 429 that can never pass (a request larger than a whole
   * rate-limit bucket) is A6's "do not retry": no retry, no more hedges. Default: off.
   */
  pushback: z.boolean().default(false),
};
const retrySchema = obj(retryShape);
/** The gateway's retries may also name `overloaded` (it reads the provider's dialect). */
const gatewayRetrySchema = obj({ ...retryShape, on: z.array(z.enum(RETRY_ERRORS)).default([...RETRYABLE]) });

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
        period: periodDuration().default(86_400_000),
        amplitude: share(),
        peakAt: duration().default(0),
      }),
    }),
    /** On/off bursts: multiplier during `on`, 1 during `off`, repeating from `start`. */
    obj({
      bursts: obj({
        on: periodDuration(),
        off: periodDuration(),
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
  speed: z.number().positive().max(1000).default(1),
  /** Keep each record with this probability (< 1), or replay it this many times on average (> 1). */
  rateScale: z.number().positive().max(1000).default(1),
  /** Skip this much of the trace's beginning. */
  start: duration().default(0),
  /** Start the trace over when it runs out before the scenario ends. */
  loop: z.boolean().default(false),
  /** Prompt tokens per block hash (`hash_ids` / `block_hashes`); Mooncake's traces use 512. */
  blockTokens: z.number().int().positive().max(1_000_000).default(512),
});

const arrivalsSchema = obj({
  process: z.enum(['poisson', 'uniform', 'gamma']).default('poisson'),
  /** Base rate (before timeline entries). */
  rate: rate().optional(),
  /** Coefficient of variation of gamma inter-arrival times (1 = Poisson, > 1 bursty). */
  cv: cv().default(1),
  timeline: z.array(timelineEntrySchema).max(10_000).default([]),
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
  share: z.number().min(0).max(MAX_COUNT).default(1),
  /** This class's own arrival process instead of a share of `workload.arrivals`. */
  arrivals: arrivalsSchema.optional(),
  promptTokens: tokenDist().default({ dist: 'deterministic', value: 512 }),
  outputTokens: tokenDist().default({ dist: 'deterministic', value: 128 }),
  /** Higher is more important; priority-aware policies shed low priority first. */
  priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
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
  prefix: obj({
    groups: positiveInt(1_000_000),
    tokens: count({ min: 1, integer: true, max: MAX_TOKENS }),
  }).optional(),
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
    maxContext: count({ min: 1, integer: true, max: MAX_TOKENS }).default(128_000),
    retries: retryCount().default(1),
  }).optional(),
  /** Client debounce: wait this long before sending; a keystroke within it means no request is sent. */
  debounce: duration().optional(),
  /** Overrides `workload.client` for this class. */
  client: clientSchema.optional(),
});

const workloadSchema = obj({
  arrivals: arrivalsSchema.optional(),
  classes: z
    .array(classSchema)
    .min(1, 'expected at least one request class')
    .max(MAX_CLASSES, {
      error: (issue) =>
        `expected at most ${MAX_CLASSES} request classes, got ${(issue.input as unknown[]).length}`,
    }),
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
  retries: gatewayRetrySchema.prefault({}),
  /**
   * Hedged requests: while an attempt has not answered (its first token, when streaming) after
   * `after`, or after the `percentile` of recent successful attempts' latency once `minSamples` are
   * seen (never below `minDelay`), a backup attempt races it; the first to complete wins and the
   * others are cancelled. A retry budget (`retries.budget`, token-bucket) must be above its
   * threshold for a hedge to go out. Default: none.
   *
   * Without `maxAttempts`: one backup, errors of one attempt are ignored while the other runs, and
   * when both fail the gateway retries as `retries` says. With `maxAttempts`: gRPC A6's hedging
   * policy (see `maxAttempts`).
   */
  hedging: obj({
    /** The hedging delay (A6 hedgingDelay; 0: the hedges go out with the first attempt). */
    after: duration().optional(),
    percentile: z.number().gt(0).lt(100).optional(),
    minSamples: positiveInt(1_000_000).default(20),
    minDelay: duration().default(0),
    /**
     * gRPC A6 hedgingPolicy: up to `maxAttempts` attempts per try (the first and its hedges), one
     * more each hedging delay (`after` / `percentile`) while none has answered. A success cancels
     * the rest. An error in `nonFatal` sends the next hedge at once (later ones resume at the
     * delay); any other error cancels the rest and ends the try. When all have failed the try
     * fails: no gateway retries (so `retries.max` must be 0). A6: an integer above 1, and values
     * above 5 are treated as 5.
     */
    maxAttempts: count({ min: 2, integer: true, max: MAX_RETRIES }).optional(),
    /** A6 nonFatalStatusCodes (with `maxAttempts`): errors after which hedging goes on. Default: none. */
    nonFatal: z.array(z.enum(RETRY_ERRORS)).optional(),
  })
    .refine((h) => h.nonFatal === undefined || h.maxAttempts !== undefined, {
      error: 'expected `maxAttempts` with `nonFatal` (non-fatal errors belong to gRPC A6 hedging)',
      path: ['nonFatal'],
    })
    .refine((h) => h.after !== undefined || h.percentile !== undefined || h.maxAttempts !== undefined, {
      error:
        'expected `after` or `percentile` (or both), or `maxAttempts` (gRPC A6 hedging, all attempts at once)',
    })
    .optional(),
  /** On a failed attempt at provider P, later attempts try these providers in order. */
  fallbacks: z.record(z.string(), z.array(z.string()).min(1)).default({}),
  /**
   * A fallback asks for another model (LiteLLM: `fallbacks` name model groups), so a chain may
   * lead to providers outside the class's `models` (its `providers` restriction still holds).
   * Default: off (fallbacks the class may not use are skipped).
   */
  fallbacksChangeModel: z.boolean().default(false),
  /**
   * Portkey's order (a `fallback` strategy over targets that each have a `retry`): a failed attempt
   * is first retried on the same target, up to `retries` times (`perProvider` by provider name), for
   * the errors in `gateway.retries.on`, with the backoff starting again from its base on each
   * target; then, for an error in `fallbackOn`, the next provider of the failed provider's fallback
   * chain is tried at once. `gateway.retries.max` still caps retries and fallbacks together.
   * Default: off (the first failure moves to the fallback chain).
   */
  retryThenFallback: obj({
    retries: retryCount().default(0),
    perProvider: z.record(z.string(), retryCount()).default({}),
    /** Errors after which the chain moves on (Portkey `strategy.on_status_codes`). Default: any error. */
    fallbackOn: z.array(z.enum([...RETRY_ERRORS, 'bad-request'])).default([...RETRYABLE, 'bad-request']),
  }).optional(),
});

// ---------------------------------------------------------------------------------------------
// SLOs

export const LATENCY_METRICS = ['ttft', 'tpot', 'itl', 'e2e', 'queueWait'] as const;
export const STATS = ['p50', 'p90', 'p95', 'p99', 'p99.9', 'mean', 'max'] as const;
/**
 * Quality SLOs (the scenario needs a `quality` section): acceptable answers and quality goodput
 * as shares of offered requests, and cost per acceptable answer (USD).
 */
export const QUALITY_SHARE_METRICS = ['acceptableShare', 'qualityGoodputShare'] as const;
export const QUALITY_METRICS = [...QUALITY_SHARE_METRICS, 'costPerAcceptableUsd'] as const;
export const SHARE_METRICS = [
  'cancelledShare',
  'errorShare',
  'shedShare',
  'timeoutShare',
  'rateLimitedShare',
  'goodputShare',
  'completedShare',
  ...QUALITY_SHARE_METRICS,
] as const;
export const OTHER_METRICS = [
  'amplification',
  'costUsd',
  'costPerRequestUsd',
  'costPerAcceptableUsd',
] as const;
const METRIC_NAMES = [
  ...LATENCY_METRICS.flatMap((m) => STATS.map((s) => `${m}.${s}`)),
  ...SHARE_METRICS,
  ...OTHER_METRICS,
];

/** What an SLO's threshold is, by metric family: latencies are durations, shares are shares. */
const SLO_THRESHOLDS = {
  latency: duration(),
  share: share(),
  number: z.number({ error: () => 'expected a number' }).min(0, 'expected a number >= 0'),
};

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
  const key = slo.max !== undefined ? 'max' : 'min';
  const parsed = SLO_THRESHOLDS[family].safeParse(slo[key]);
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      ctx.issues.push({ code: 'custom', message: issue.message, input: slo[key], path: [key] });
    return z.NEVER;
  }
  return {
    name:
      slo.name ??
      `${slo.class ? `${slo.class} ` : ''}${slo.metric} ${key === 'max' ? '<=' : '>='} ${String(slo[key])}`,
    metric: slo.metric,
    class: slo.class,
    bound: key as 'max' | 'min',
    threshold: parsed.data,
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
  window: periodDuration().default(10_000),
});

// ---------------------------------------------------------------------------------------------
// Quality: how hard each request is and how capable each model is (docs/concepts/quality.md)

/** A number from 0 to 1 (a difficulty, a capability, a rate of the judge's errors). */
const unitInterval = () =>
  z
    .number({ error: () => 'expected a number from 0 to 1' })
    .min(0, 'expected a number from 0 to 1')
    .max(1, 'expected a number from 0 to 1');

/** A beta distribution's shape parameter: above 0, at most 10 000 (its CDF converges fast there). */
const betaShape = () =>
  z
    .number({ error: () => 'expected a number above 0 and at most 10000' })
    .gt(0, 'expected a number above 0 and at most 10000')
    .max(10_000, 'expected a number above 0 and at most 10000');

/**
 * A difficulty distribution on [0, 1]: `{ dist: uniform, min: 0, max: 1 }` (the default),
 * `{ dist: beta, alpha, beta }` (mean alpha / (alpha + beta)), `{ dist: empirical, values: [...] }`
 * (any shape, sampled by its quantiles), or a bare number (every request equally hard).
 */
const difficultyVariants = [
  obj({ dist: z.literal('uniform'), min: unitInterval().default(0), max: unitInterval().default(1) }).refine(
    (d) => d.min <= d.max,
    { error: 'expected min <= max', path: ['max'] },
  ),
  obj({ dist: z.literal('deterministic'), value: unitInterval() }),
  // Both shapes are required; checked by a refinement so a missing one is named (a missing key
  // would fail the whole union with its generic message).
  obj({ dist: z.literal('beta'), alpha: betaShape().optional(), beta: betaShape().optional() })
    .refine((d) => d.alpha !== undefined, {
      error: 'expected alpha, a number above 0 and at most 10000 (the mean is alpha / (alpha + beta))',
      path: ['alpha'],
    })
    .refine((d) => d.beta !== undefined, {
      error: 'expected beta, a number above 0 and at most 10000 (the mean is alpha / (alpha + beta))',
      path: ['beta'],
    }),
  obj({ dist: z.literal('empirical'), values: z.array(unitInterval()).min(1).max(100_000) }),
] as const;
const DIFFICULTY_EXPECTED =
  "expected a number from 0 to 1, or a distribution with 'dist' one of 'uniform' | 'deterministic' | 'beta' | 'empirical'";
const difficultySchema = z.union(
  [
    unitInterval().transform((value) => ({ dist: 'deterministic' as const, value })),
    z.discriminatedUnion('dist', difficultyVariants, {
      error: (issue) => (issue.code === 'invalid_union' ? DIFFICULTY_EXPECTED : undefined),
    }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? DIFFICULTY_EXPECTED : undefined) },
);
export type DifficultySpec = z.output<typeof difficultySchema>;

/** A model's capability: one number for every class, or `{ default: 0.6, agent: 0.4 }` by class. */
const capabilitySchema = z.union([unitInterval(), z.record(z.string(), unitInterval())], {
  error: () => 'expected a capability from 0 to 1, or one per class like { default: 0.6, chat: 0.7 }',
});

const qualityModelSchema = z.union(
  [
    unitInterval().transform((capability) => ({ capability, sessionCalls: 1 })),
    obj({
      capability: capabilitySchema,
      /**
       * Agent sessions: calls this model needs for one step of a task a model with factor 1 does
       * in one call (a weaker model needs more calls for the same task).
       */
      sessionCalls: z
        .number({ error: () => 'expected a number from 1 to 100' })
        .min(1, 'expected a number from 1 to 100')
        .max(100, 'expected a number from 1 to 100')
        .default(1),
    }),
  ],
  { error: () => 'expected a capability from 0 to 1, or { capability, sessionCalls }' },
);

/**
 * The difficulty estimate routers see: a Gaussian copula with the difficulty, its accuracy given
 * as the copula's `correlation` (1: the estimate is the difficulty) or as an `auc`, the
 * probability that of two requests the harder one gets the higher estimate
 * (correlation = sin(pi x (auc - 1/2))).
 */
const estimatorSchema = obj({
  correlation: z
    .number({ error: () => 'expected a correlation from 0 to 1' })
    .min(0, 'expected a correlation from 0 to 1')
    .max(1, 'expected a correlation from 0 to 1')
    .optional(),
  auc: z
    .number({ error: () => 'expected an AUC from 0.5 to 1' })
    .min(0.5, 'expected an AUC from 0.5 to 1')
    .max(1, 'expected an AUC from 0.5 to 1')
    .optional(),
}).transform((e, ctx) => {
  if (e.correlation !== undefined && e.auc !== undefined) {
    ctx.issues.push({ code: 'custom', message: 'expected one of correlation or auc, not both', input: e });
    return z.NEVER;
  }
  const correlation = e.auc !== undefined ? Math.sin(Math.PI * (e.auc - 0.5)) : (e.correlation ?? 1);
  return { correlation };
});

/**
 * Quality as an outcome: each request's latent difficulty (drawn at arrival, per class), each
 * model's capability (per class), and the accuracy of the difficulty estimate routers see. A
 * response is acceptable when it is ok and its model's capability is at least the request's
 * difficulty. Absent: no quality figures, and runs are exactly as without it.
 */
const qualitySchema = obj({
  /** Per class (by name); a class not listed has difficulty uniform on [0, 1]. */
  difficulty: z.record(z.string(), difficultySchema).default({}),
  /** Per model name: its capability (by class) and its agent-session call factor. */
  models: z.record(z.string(), qualityModelSchema).default({}),
  /** Capability of a model not listed in `models` (and of a listed one for classes it omits). */
  defaultCapability: unitInterval().default(1),
  estimator: estimatorSchema.prefault({}),
  sessions: obj({
    /** A session is aborted once it has made this many times its planned calls. Default: never. */
    giveUpAfter: z
      .number({ error: () => 'expected a multiplier from 1 to 100' })
      .min(1, 'expected a multiplier from 1 to 100')
      .max(100, 'expected a multiplier from 1 to 100')
      .optional(),
  }).prefault({}),
});
export type QualityConfig = z.output<typeof qualitySchema>;

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
  seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).default(1),
  providers: z
    .array(providerSchema)
    .min(1, 'expected at least one provider')
    .max(MAX_PROVIDERS, {
      error: (issue) =>
        `expected at most ${MAX_PROVIDERS} providers, got ${(issue.input as unknown[]).length}`,
    }),
  faults: z
    .array(faultSchema)
    .max(10_000)
    .default([])
    // A spot reclaim's window is its notice.
    .transform((list) => list.map((f) => (f.kind === 'spot-reclaim' ? { ...f, for: f.notice } : f))),
  workload: workloadSchema,
  gateway: gatewaySchema.prefault({}),
  slos: z.array(sloSchema).max(1000).default([]),
  /** The cascade verdict: how the run must come back after each trigger. */
  recovery: recoverySchema.optional(),
  /** Quality as an outcome: request difficulty, model capability, the routers' estimate. */
  quality: qualitySchema.optional(),
  metrics: obj({
    /** Time-series window; `auto` picks a round value giving at most ~1000 windows (>= 1 s). */
    interval: autoOr(periodDuration()).default('auto'),
  }).prefault({}),
});
// Cross-references read the shape's output, so they run only once the shape is valid (a catalog
// name that failed its check must not be looked up).
export const scenarioSchema = scenarioShape.superRefine((s, ctx) => crossReferences(s, ctx), {
  when: (payload) => payload.issues.length === 0,
});

export interface ParseOptions {
  /** Refuse bare numbers as durations (YAML input); TypeScript scenarios may pass milliseconds. */
  requireDurationUnits?: boolean;
}

/** `scenarioSchema.safeParse`, with the unit rules of where the scenario came from. */
export function parseScenario(raw: unknown, options: ParseOptions = {}) {
  bareDurationsAreMs = !options.requireDurationUnits;
  try {
    return scenarioSchema.safeParse(raw);
  } finally {
    bareDurationsAreMs = true;
  }
}

/** References between sections: names that must exist, windows that must fit. */
function crossReferences(s: z.output<typeof scenarioShape>, ctx: z.RefinementCtx): void {
  const providerNames = s.providers.map((p) => p.name);
  const models = new Set(s.providers.flatMap((p) => p.models ?? [p.name]));
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const unknownProvider = (path: PropertyKey[], name: string) =>
    issue(
      path,
      `expected one of the providers ${providerNames.map((n) => `'${n}'`).join(', ')}, got ${quoted(name)}${didYouMean(name, providerNames)}`,
    );

  const seen = new Set<string>();
  s.providers.forEach((p, i) => {
    if (seen.has(p.name))
      issue(['providers', i, 'name'], `expected a unique provider name, got ${quoted(p.name)} twice`);
    seen.add(p.name);
  });
  const classNames = s.workload.classes.map((c) => c.name);
  const seenClasses = new Set<string>();
  s.workload.classes.forEach((c, i) => {
    if (seenClasses.has(c.name))
      issue(['workload', 'classes', i, 'name'], `expected a unique class name, got ${quoted(c.name)} twice`);
    seenClasses.add(c.name);
    c.providers?.forEach((p, j) => {
      if (!providerNames.includes(p)) unknownProvider(['workload', 'classes', i, 'providers', j], p);
    });
    c.models?.forEach((m, j) => {
      if (!models.has(m))
        issue(
          ['workload', 'classes', i, 'models', j],
          `expected a model some provider serves (${[...models].join(', ')}), got ${quoted(m)}${didYouMean(m, [...models])}`,
        );
    });
  });
  const hedging = s.gateway.hedging;
  if (hedging?.maxAttempts !== undefined && s.gateway.retries.max > 0)
    issue(
      ['gateway', 'retries', 'max'],
      `expected 0 with gateway.hedging.maxAttempts (gRPC A6: a request has a retry policy or a hedging policy, not both), got ${s.gateway.retries.max}; drop hedging.maxAttempts to hedge once and then retry`,
    );
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
    overlappingRamps(a, path, issue);
  };
  checkArrivals(s.workload.arrivals, ['workload', 'arrivals']);
  s.workload.classes.forEach((c, i) => {
    checkArrivals(c.arrivals, ['workload', 'classes', i, 'arrivals']);
  });
  s.faults.forEach((f, i) => {
    if (!providerNames.includes(f.provider)) unknownProvider(['faults', i, 'provider'], f.provider);
    if (f.kind === 'spot-reclaim') spotReclaimReferences(s, f, ['faults', i], issue);
    if (f.kind === 'metrics-outage') metricsOutageReferences(s, f.provider, ['faults', i], issue);
    // A fault in the drain still meets requests in flight; one after the drain never happens.
    if (f.at > s.duration + s.drain)
      issue(
        ['faults', i, 'at'],
        `expected a fault starting before the run ends at ${formatDuration(s.duration + s.drain)} (duration ${formatDuration(s.duration)} + drain ${formatDuration(s.drain)}), got ${formatDuration(f.at)}`,
      );
  });
  for (const name of Object.keys(s.gateway.retryThenFallback?.perProvider ?? {}))
    if (!providerNames.includes(name))
      unknownProvider(['gateway', 'retryThenFallback', 'perProvider', name], name);
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
        `expected one of the classes ${classNames.map((n) => `'${n}'`).join(', ')}, got ${quoted(slo.class)}${didYouMean(slo.class, classNames)}`,
      );
    }
  });
  if (s.recovery) recoveryReferences(s, ctx, classNames);
  qualityReferences(s, classNames, [...models], issue);
  s.providers.forEach((p, i) => {
    if (p.kind === 'gpu') fittedTiming(p, ['providers', i, 'timing'], issue);
    if (p.kind === 'gpu' && p.prefixCache.offload && !p.prefixCache.enabled)
      issue(
        ['providers', i, 'prefixCache', 'offload'],
        'expected prefixCache.enabled: true with an offload tier (it holds the blocks the prefix cache evicts)',
      );
  });
  s.providers.forEach((p, i) => {
    if (p.kind === 'gpu' && p.autoscaling) autoscalingReferences(p, ['providers', i], issue);
    if (p.kind === 'gpu' && p.disaggregation?.enabled) {
      disaggregationReferences(p, resolvedModel(p.model), ['providers', i], issue);
      // The prefill replicas' own fit (a fitted model without `from` looks up their GPU and TP).
      const { gpu, tensorParallel } = p.disaggregation.prefill;
      if (p.timing !== 'auto' && p.timing.model === 'fitted' && p.timing.from === undefined)
        fittedTiming(
          { ...p, gpu: gpu ?? p.gpu, tensorParallel: tensorParallel ?? p.tensorParallel },
          ['providers', i, 'disaggregation', 'prefill'],
          issue,
        );
    }
    if (p.kind === 'gpu' && p.nodePool) nodePoolReferences(p, ['providers', i], issue);
  });
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

type Issue = (path: PropertyKey[], message: string) => void;

/** Quality names classes and models that exist; quality SLOs need a quality section. */
function qualityReferences(
  s: z.output<typeof scenarioShape>,
  classNames: readonly string[],
  models: readonly string[],
  issue: Issue,
): void {
  const q = s.quality;
  s.slos.forEach((slo, i) => {
    if (!q && (QUALITY_METRICS as readonly string[]).includes(slo.metric))
      issue(
        ['slos', i, 'metric'],
        `expected a 'quality' section for the quality metric ${quoted(slo.metric)}: it says how hard requests are and how capable models are`,
      );
  });
  if (!q) return;
  const oneOf = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');
  for (const name of Object.keys(q.difficulty))
    if (!classNames.includes(name))
      issue(
        ['quality', 'difficulty', name],
        `expected one of the classes ${oneOf(classNames)}, got ${quoted(name)}${didYouMean(name, classNames)}`,
      );
  for (const [name, m] of Object.entries(q.models)) {
    if (!models.includes(name))
      issue(
        ['quality', 'models', name],
        `expected a model some provider serves (${oneOf(models)}), got ${quoted(name)}${didYouMean(name, models)}`,
      );
    if (typeof m.capability === 'number') continue;
    const keys = ['default', ...classNames];
    for (const key of Object.keys(m.capability))
      if (!keys.includes(key))
        issue(
          ['quality', 'models', name, 'capability', key],
          `expected 'default' or one of the classes ${oneOf(classNames)}, got ${quoted(key)}${didYouMean(key, keys)}`,
        );
  }
}

/** Ramps and steps change the base rate one at a time: each starts after the previous one ends. */
function overlappingRamps(a: z.output<typeof arrivalsSchema>, path: PropertyKey[], issue: Issue): void {
  const changes = a.timeline
    .map((e, i) =>
      'ramp' in e
        ? { i, kind: 'ramp', at: e.ramp.at, end: e.ramp.at + e.ramp.over }
        : 'step' in e
          ? { i, kind: 'step', at: e.step.at, end: e.step.at }
          : undefined,
    )
    .filter((c) => c !== undefined)
    .sort((x, y) => x.at - y.at);
  for (let k = 1; k < changes.length; k++) {
    const prev = changes[k - 1]!;
    const c = changes[k]!;
    if (c.at < prev.end)
      issue(
        [...path, 'timeline', c.i, c.kind, 'at'],
        `expected ${c.kind === 'ramp' ? 'a ramp' : 'a step'} starting after the ramp at ${formatDuration(prev.at)} ends (${formatDuration(prev.end)}), got ${formatDuration(c.at)}`,
      );
  }
}

/** A fitted timing model needs coefficients: given, or a fit the catalog has. */
function fittedTiming(p: GpuConfigShape, path: PropertyKey[], issue: Issue): void {
  const t = p.timing;
  if (t === 'auto' || t.model !== 'fitted' || t.coefficients) return;
  const fits = Object.keys(FITTED_COEFFICIENTS);
  const from = t.from ?? fitKey(p);
  if (from !== undefined && fits.includes(from)) return;
  if (t.from !== undefined)
    issue(
      [...path, 'from'],
      `expected a fit from the catalog (${fits.join(', ')}), got ${quoted(t.from)}${didYouMean(t.from, fits)}`,
    );
  else
    issue(
      path,
      `expected 'from' or 'coefficients', got neither: the catalog has no fit for ${from === undefined ? 'an inline model or GPU' : `'${from}'`} (it has ${fits.join(', ')})`,
    );
}
type GpuConfigShape = Extract<z.output<typeof providerSchema>, { kind: 'gpu' }>;

/** A pool's model as a profile: the catalog's, or the inline one completed. */
function resolvedModel(m: GpuConfigShape['model']) {
  return typeof m === 'string' ? MODELS[m]! : { ...m, totalParamsB: m.totalParamsB ?? m.activeParamsB };
}

const KEDA_ONLY = [
  'pollingInterval',
  'cooldownPeriod',
  'initialCooldownPeriod',
  'activationTarget',
  'coldStart',
  'idleReplicaCount',
  'fallback',
] as const;

/** A metrics outage names an autoscaled GPU pool (the reader of metrics it breaks; autoscaler.ts, keda.ts). */
function metricsOutageReferences(
  s: z.output<typeof scenarioShape>,
  provider: string,
  path: (string | number)[],
  issue: (path: (string | number)[], message: string) => void,
): void {
  const p = s.providers.find((q) => q.name === provider);
  if (p && (p.kind !== 'gpu' || !p.autoscaling))
    issue(
      [...path, 'provider'],
      `expected a GPU pool scaled by KEDA or an HPA (autoscaling, any kind) for a metrics outage, got '${p.name}'${p.kind !== 'gpu' ? ` of kind ${p.kind}` : ' without autoscaling'}`,
    );
}

/** A spot reclaim names a GPU pool and at most the replicas it can have. */
function spotReclaimReferences(
  s: z.output<typeof scenarioShape>,
  f: Extract<z.output<typeof faultSchema>, { kind: 'spot-reclaim' }>,
  path: (string | number)[],
  issue: (path: (string | number)[], message: string) => void,
): void {
  const p = s.providers.find((q) => q.name === f.provider);
  if (!p) return;
  if (p.kind !== 'gpu') {
    issue(
      [...path, 'provider'],
      `expected a GPU pool (kind: gpu) for a spot reclaim, got '${p.name}' of kind ${p.kind}`,
    );
    return;
  }
  const most = p.autoscaling ? p.autoscaling.max : p.replicas;
  if (f.replicas > most)
    issue(
      [...path, 'replicas'],
      `expected at most ${most} (the ${p.autoscaling ? 'autoscaling max' : 'replicas'} of '${p.name}'), got ${f.replicas}`,
    );
}

/** A node pool goes with an autoscaler, holds at least one replica per node, and the replicas the pool starts with. */
function nodePoolReferences(
  p: GpuConfigShape,
  path: PropertyKey[],
  issue: (path: PropertyKey[], message: string) => void,
): void {
  const n = p.nodePool!;
  if (!p.autoscaling) {
    issue(
      [...path, 'nodePool'],
      "expected 'autoscaling' with a node pool (for a fixed fleet on nodes, set autoscaling min = max)",
    );
    return;
  }
  if (n.gpusPerNode < p.tensorParallel) {
    issue(
      [...path, 'nodePool', 'gpusPerNode'],
      `expected at least tensorParallel (${p.tensorParallel}) GPUs per node, so that a replica fits on one, got ${n.gpusPerNode}`,
    );
    return;
  }
  const perNode = Math.floor(n.gpusPerNode / p.tensorParallel);
  const start = Math.min(p.autoscaling.max, Math.max(p.autoscaling.min, p.replicas));
  if (start > n.maxNodes * perNode)
    issue(
      [...path, 'nodePool', 'maxNodes'],
      `expected room for the ${start} replicas the pool starts with (${perNode} per node), got ${n.maxNodes} nodes; raise maxNodes to ${Math.ceil(start / perNode)}`,
    );
}

/** An autoscaler's bounds are in order, KEDA's settings only with KEDA, and scale to zero only behind one target. */
function autoscalingReferences(
  p: GpuConfigShape,
  path: PropertyKey[],
  issue: (path: PropertyKey[], message: string) => void,
): void {
  const a = p.autoscaling!;
  if (a.min > a.max) issue([...path, 'autoscaling', 'max'], `expected max >= min (${a.min}), got ${a.max}`);
  if (a.idleReplicaCount !== undefined && a.idleReplicaCount >= a.min)
    issue(
      [...path, 'autoscaling', 'idleReplicaCount'],
      `expected idleReplicaCount below min (${a.min}), got ${a.idleReplicaCount}: KEDA requires it less than minReplicaCount (with min 0, leave it out: idle already goes to 0)`,
    );
  if (a.fallback && a.fallback.replicas > a.max)
    issue(
      [...path, 'autoscaling', 'fallback', 'replicas'],
      `expected at most max (${a.max}), got ${a.fallback.replicas}`,
    );
  if (a.kind !== 'keda') {
    if (a.min < 1)
      issue(
        [...path, 'autoscaling', 'min'],
        'expected min >= 1 (an HPA never scales to zero; `kind: keda` does)',
      );
    for (const key of KEDA_ONLY)
      if (a[key] !== undefined)
        issue([...path, 'autoscaling', key], `expected no ${key} without 'kind: keda' (a KEDA setting)`);
  }
  if (p.expose === 'replicas' && a.min < 1)
    issue(
      [...path, 'autoscaling', 'min'],
      "expected min >= 1 with 'expose: replicas' (a pool at zero offers the gateway no target, so no demand would reach it to scale it back up); use 'expose: pool' to scale to zero",
    );
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
        message: `expected one of the classes ${classNames.map((n) => `'${n}'`).join(', ')}, got ${quoted(c)}${didYouMean(c, classNames)}`,
      });
  });
  if (r.triggers === 'auto') {
    if (!scenarioTriggers(s).some((t) => t.kind !== 'burst'))
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
export type AutoscalingConfig = NonNullable<GpuProviderConfig['autoscaling']>;
export type NodePoolConfig = NonNullable<GpuProviderConfig['nodePool']>;
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
export type QualityModelConfig = QualityConfig['models'][string];
export type TriggerConfig = z.output<typeof triggerSchema>;
export type ClassSlo = ClassConfig['slo'];

/** Identity helper that types a scenario written in TypeScript. */
export function defineScenario(s: ScenarioInput): ScenarioInput {
  return s;
}
