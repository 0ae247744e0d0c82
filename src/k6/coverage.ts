/**
 * What the k6 compiler does with every scenario field: a translation, a part of the system under
 * test (the real gateway and providers, which k6 drives but does not model), or unsupported with
 * the reason. The maps are typed over the schema's own types, so adding a scenario field does not
 * compile until someone decides here what k6 does with it (vitest's cli-config.ts idea).
 */
import { createDistribution, type DistributionSpec } from '../engine/dist/index.ts';
import {
  API_DIALECTS,
  API_OUTCOMES,
  type ApiDialect,
  type ApiOutcome,
  DIALECTS,
  type DialectErrorKind,
} from '../providers/dialects.ts';
import type {
  ArrivalsConfig,
  ClassConfig,
  ClientConfig,
  LATENCY_METRICS,
  OTHER_METRICS,
  RetryConfig,
  Scenario,
  SHARE_METRICS,
  TimelineEntry,
  TraceConfig,
} from '../scenario/schema.ts';
import { quoted } from '../text/quote.ts';
import { dialectOfClass, dialectProvider } from './class-dialect.ts';
import type { K6Mode } from './script-config.ts';
import { quantile } from './sizing.ts';

const mean = (spec: DistributionSpec) => createDistribution(spec).mean;

/** How one field reaches the k6 script. */
export type Translation =
  /** Reproduced by the script, as described. */
  | { k6: string }
  /** The real system's business: configure the gateway and providers under test instead. */
  | { sut: string }
  /** Not reproduced; the reason. */
  | { unsupported: string };

/** Quality is a simulated outcome: a real response carries no difficulty to compare. */
const QUALITY_GAP =
  'quality is simulated (request difficulty vs model capability); judge real answers with an evaluation';

type FieldMap<T> = { readonly [K in keyof T]-?: Translation };
type TimelineKind = TimelineEntry extends infer E ? (E extends unknown ? keyof E : never) : never;

export const SCENARIO_FIELDS: FieldMap<Scenario> = {
  name: { k6: 'the script name and the summary' },
  description: { k6: 'the script header' },
  duration: { k6: 'the stages span duration x --time-scale' },
  warmup: { k6: 'requests arriving in the first warmup x --time-scale are sent but left out of the summary' },
  drain: {
    k6: 'gracefulStop: in-flight requests and sessions may go on for up to drain after the last stage; sessions still running then are counted unfinished',
  },
  seed: { k6: 'request bodies: the seeded stream floodgate:<seed>:k6/<class>/<iteration>' },
  providers: {
    sut: "the providers behind the gateway under test; used only to size VUs, pick `model` and the dialect each class speaks (its provider's `api`, see DIALECT_COVERAGE)",
  },
  faults: { sut: 'k6 injects no faults: break the real system (or the emulator) on the same timeline' },
  workload: { k6: 'one ramping-arrival-rate scenario per class' },
  gateway: { sut: 'the gateway under test is configured on its own side' },
  slos: { k6: 'thresholds on per-class metrics (see SLO_METRICS)' },
  recovery: {
    unsupported:
      'k6 keeps no time series in its summary: judge recovery from the simulation, or from a k6 time-series output',
  },
  metrics: { unsupported: 'k6 keeps no time series in its summary (use a k6 output for those)' },
  quality: { unsupported: QUALITY_GAP },
};

export const WORKLOAD_FIELDS: FieldMap<Scenario['workload']> = {
  arrivals: { k6: "each sharing class gets share x r(t) of the shared arrivals' rate" },
  classes: { k6: 'one k6 scenario each, named after the class' },
  client: { k6: 'client timeout, retries with backoff and patience, run inside each iteration' },
};

export const ARRIVALS_FIELDS: FieldMap<ArrivalsConfig> = {
  process: {
    unsupported:
      'k6 spaces iterations evenly (uniform); Poisson or gamma burstiness around r(t) is not reproduced',
  },
  rate: { k6: 'the base of r(t): stages' },
  cv: { unsupported: 'gamma burstiness is not reproduced (k6 spaces iterations evenly)' },
  timeline: { k6: 'stages: ramps, steps and spikes exactly, diurnal waves and bursts as linear pieces' },
  trace: { k6: 'per-second stages with the trace counts; each iteration takes its record sizes' },
};

export const TIMELINE_KINDS: { readonly [K in TimelineKind]-?: Translation } = {
  ramp: { k6: 'a linear stage' },
  step: { k6: 'a 0 s stage (a jump)' },
  spike: { k6: 'four stages: ramp up, hold, ramp down' },
  diurnal: { k6: 'linear stages within 0.5% of the wave' },
  bursts: { k6: '0 s stages at each on/off edge' },
};

export const TRACE_FIELDS: FieldMap<TraceConfig> = {
  file: { k6: 'read at compile time; counts per second and sizes are inlined in the script' },
  format: { k6: 'as for the simulator' },
  speed: { k6: 'as for the simulator' },
  rateScale: { k6: 'each record counts rateScale times (the expected count, not a random draw)' },
  start: { k6: 'as for the simulator' },
  loop: { k6: 'as for the simulator, up to the duration' },
  blockTokens: {
    unsupported:
      'block hashes shape prefix caching in the simulator only; a load test sends no prompt text to hash',
  },
};

export const CLASS_FIELDS: FieldMap<ClassConfig> = {
  name: { k6: 'the k6 scenario name, metric names and tag floodgate_class' },
  share: { k6: 'the fraction of the shared rate' },
  arrivals: { k6: "the class's own stages" },
  promptTokens: { k6: 'prompt text of about that many tokens (one common word each)' },
  outputTokens: { k6: 'max_tokens' },
  priority: { k6: 'header X-Floodgate-Priority (the gateway may use it)' },
  deadline: {
    k6: 'header X-Floodgate-Deadline-Ms (the gateway may use it; floodgate emulate drops a request still queued at its provider past it)',
  },
  stream: { k6: 'the `stream` field of the body' },
  models: { k6: 'the first one is the `model` field' },
  providers: { sut: 'routing belongs to the gateway: only used to pick `model` and size VUs' },
  tenant: { k6: 'header X-Floodgate-Tenant' },
  prefix: { k6: 'the first prefix tokens come from one of `groups` fixed texts, so prefix caches can hit' },
  slo: { k6: 'the per-request goodput check and floodgate_<class>_goodput_rate' },
  client: { k6: "this class's client behaviour" },
  cancelAfter: {
    k6: 'each request draws the time to the next keystroke; the try in flight is cut then (its http timeout in stock mode, at its next event in sse mode) and the request counted cancelled (floodgate_<class>_cancelled_rate)',
  },
  session: {
    k6: 'one iteration per session: its calls in sequence, each prompt the previous one plus the answer and tool output (a shared prefix), think time as sleep, failed calls tried again up to retries; VUs sized by the session length; session counts and durations in the summary',
  },
  debounce: {
    k6: 'a sleep before the first try; when the keystroke comes within it the request is counted cancelled and never sent',
  },
};

export const SESSION_FIELDS: FieldMap<NonNullable<ClassConfig['session']>> = {
  calls: { k6: "drawn when the session starts, from the iteration's stream; one request per call" },
  toolTokens: { k6: 'words appended to the context after each answer, as a user message' },
  thinkTime: { k6: 'a sleep after each call but the last, and before a call is tried again' },
  maxContext: { k6: 'the prompt keeps the latest maxContext tokens of the context' },
  retries: {
    k6: "a failed call (after the client's own retries) is sent again up to retries times, then the session aborts",
  },
};

export const CLIENT_FIELDS: FieldMap<ClientConfig> = {
  timeout: { k6: 'the request timeout of each try (in sse mode checked at each event)' },
  retries: { k6: 'tries again after backoff, as the simulated client does' },
  abandonAfter: { k6: 'each request drawn a patience; tries are cut at it and the request abandoned' },
};

export const RETRY_FIELDS: FieldMap<RetryConfig> = {
  max: { k6: 'client retries per request' },
  budget: {
    unsupported:
      "a client retry budget throttles retries over all of a class's requests, and k6 VUs share no state: each request retries up to max",
  },
  on: { k6: '429 -> rate-limited, 5xx and connection errors -> server-error, timeouts, cut streams' },
  backoff: { k6: 'the same backoff function as the simulator (src/gateway/backoff.ts)' },
  respectRetryAfter: { k6: 'waits at least the Retry-After header on a 429' },
  pushback: { unsupported: 'server pushback (gRPC A6) is read by the gateway, not by the client' },
};

type LatencyMetric = (typeof LATENCY_METRICS)[number];
type ShareMetric = (typeof SHARE_METRICS)[number];
type OtherMetric = (typeof OTHER_METRICS)[number];

/** SLO metric families: the k6 metric suffix they map to, or why they cannot be checked. */
export const SLO_METRICS: {
  readonly [K in LatencyMetric | ShareMetric | OtherMetric]-?:
    | { metric: string; sseOnly?: boolean }
    | { unsupported: string };
} = {
  ttft: { metric: 'ttft' },
  tpot: { metric: 'tpot' },
  itl: { metric: 'itl', sseOnly: true },
  e2e: { metric: 'e2e' },
  queueWait: { unsupported: 'queue wait is inside the gateway; k6 sees only the whole latency' },
  errorShare: { metric: 'error_rate' },
  cancelledShare: { metric: 'cancelled_rate' },
  shedShare: { unsupported: 'a shed request is an ordinary 429 or 503 to the client' },
  timeoutShare: { metric: 'timeout_rate' },
  rateLimitedShare: { metric: 'rate_limited_rate' },
  goodputShare: { metric: 'goodput_rate' },
  completedShare: { metric: 'completed_rate' },
  amplification: { unsupported: 'gateway retries are invisible to the client (k6 counts client tries)' },
  costUsd: { unsupported: 'prices are per provider, and k6 does not know which provider served' },
  costPerRequestUsd: { unsupported: 'prices are per provider, and k6 does not know which provider served' },
  acceptableShare: { unsupported: QUALITY_GAP },
  qualityGoodputShare: { unsupported: QUALITY_GAP },
  costPerAcceptableUsd: { unsupported: QUALITY_GAP },
};

/**
 * What the script models of one API dialect (k6/runtime/dialect.ts): the request it sends, the
 * event its TTFT is taken at in sse mode, the usage it reads, and the outcome counter
 * (`floodgate_<class>_<counter>`) each error of the dialect table lands in.
 */
export interface DialectCoverage {
  path: string;
  headers: string;
  ttft: string;
  usage: string;
  outcomes: string[];
}

/** The first content event of each dialect's stream: where sse mode takes TTFT. */
const CONTENT_EVENT: { readonly [K in ApiDialect]-?: string } = {
  'openai-chat': 'the first chunk with text in choices[0].delta.content',
  'openai-responses': 'the first response.output_text.delta event',
  'anthropic-messages': 'the first content_block_delta event with a text_delta',
  gemini: 'the first chunk with text in candidates[0].content.parts[]',
};

/** The outcome counter each error kind of the dialect table is counted in. */
const COUNTER_OF: { readonly [K in DialectErrorKind]-?: string } = {
  'rate-limited': 'rate_limited',
  quota: 'quota_exceeded',
  overloaded: 'overloaded',
  'server-error': 'server_error',
  'bad-request': 'error_other',
};

/** What the script does with dialect `api`, read from the dialect table. */
export function dialectCoverage(api: ApiDialect): DialectCoverage {
  const d = DIALECTS[api];
  const path = d.streamPath === d.path ? `POST ${d.path}` : `POST ${d.path} (streamed: ${d.streamPath})`;
  const u = d.usage;
  const prompt = u.cacheWrite
    ? `${u.input} + ${u.cachedInput} + ${u.cacheWrite} (its input excludes the cached part)`
    : u.input;
  const seen = new Set<string>();
  const outcomes: string[] = [];
  for (const outcome of API_OUTCOMES) {
    const e = d.errors[outcome];
    const key = `${e.httpStatus} ${e.type} ${e.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    outcomes.push(
      `${e.httpStatus} ${e.type}${e.code ? ` (${e.code})` : ''} -> ${counterOf(outcome, e.kind)}`,
    );
  }
  return {
    path,
    headers: d.requestHeaders.map(headerText).join(', '),
    ttft: CONTENT_EVENT[api],
    usage: `${u.path}: prompt ${prompt}, output ${u.output}, cached ${u.cachedInput}`,
    outcomes,
  };
}

/** A request header as the script sends it: the key from FLOODGATE_API_KEY, the version fixed. */
function headerText(name: string): string {
  if (name === 'authorization') return 'Authorization: Bearer <FLOODGATE_API_KEY>';
  if (name === 'anthropic-version') return 'anthropic-version';
  return `${name}: <FLOODGATE_API_KEY>`;
}

function counterOf(outcome: ApiOutcome, kind: DialectErrorKind): string {
  return outcome === 'quota' ? 'quota_exceeded' : COUNTER_OF[kind];
}

/** Every dialect's coverage, for the guide (docs/guide/load-testing.md has it as a table). */
export const DIALECT_COVERAGE: { readonly [K in ApiDialect]-?: DialectCoverage } = Object.fromEntries(
  API_DIALECTS.map((api) => [api, dialectCoverage(api)]),
) as { [K in ApiDialect]: DialectCoverage };

const OVERFLOW_NOTE =
  'a context longer than maxContext keeps its latest tokens, so from then on calls no longer share a prefix with the previous one (the simulator still counts the kept part as cached)';

/** Might a session's context reach maxContext? (p99-ish first prompt plus every call's answer and tool output) */
function sessionMayOverflow(c: ClassConfig): boolean {
  const s = c.session!;
  const growth = quantile(s.calls, 0.99) * (mean(c.outputTokens) + mean(s.toolTokens));
  return quantile(c.promptTokens, 0.99) + growth > s.maxContext;
}

/**
 * Notes for the fields this scenario uses that k6 does not reproduce (or reproduces only in
 * part), one line each, for the compiler's report.
 */
export function coverageNotes(scenario: Scenario, mode: K6Mode): string[] {
  const notes: string[] = [];
  const note = (what: string, t: Translation) => {
    if ('unsupported' in t) notes.push(`${what}: ${t.unsupported}`);
    else if ('sut' in t) notes.push(`${what}: ${t.sut}`);
  };
  if (scenario.faults.length > 0) note('faults', SCENARIO_FIELDS.faults);
  if (scenario.recovery) note('recovery', SCENARIO_FIELDS.recovery);
  if (scenario.quality) note('quality', SCENARIO_FIELDS.quality);
  const arrivals = [
    ...(scenario.workload.arrivals ? [['workload.arrivals', scenario.workload.arrivals] as const] : []),
    ...scenario.workload.classes.flatMap((c, i) =>
      c.arrivals ? [[`workload.classes[${i}].arrivals`, c.arrivals] as const] : [],
    ),
  ];
  for (const [path, a] of arrivals) {
    if (!a.trace && a.process !== 'uniform') note(`${path}.process ${a.process}`, ARRIVALS_FIELDS.process);
  }
  const clients = [scenario.workload.client, ...scenario.workload.classes.map((c) => c.client)];
  if (clients.some((c) => c?.retries.budget)) note('client retries.budget', RETRY_FIELDS.budget);
  if (mode === 'sse' && clients.some((c) => c?.timeout !== undefined))
    notes.push(
      'client.timeout: in sse mode a try is cut at its first event past the timeout; a server that sends nothing is waited for',
    );
  if (mode === 'sse' && scenario.workload.classes.some((c) => c.cancelAfter && c.stream))
    notes.push(
      'cancelAfter: in sse mode a streamed try is cut at its first event past the keystroke; a server that sends nothing is waited for',
    );
  scenario.workload.classes.forEach((c, i) => {
    const api = dialectOfClass(scenario, c);
    if (api !== 'openai-chat') {
      const provider = dialectProvider(scenario, c)!;
      const n = scenario.providers.indexOf(provider);
      notes.push(
        `workload.classes[${i}] ${quoted(c.name)} speaks ${api} (provider ${quoted(provider.name)}): ${dialectCoverage(api).path}; a target that takes only OpenAI chat completions needs --set providers[${n}].api=openai-chat`,
      );
    }
    if (c.session && sessionMayOverflow(c))
      notes.push(`workload.classes[${i}].session.maxContext: ${OVERFLOW_NOTE}`);
  });
  for (const slo of scenario.slos) {
    const family = slo.metric.split('.')[0] as keyof typeof SLO_METRICS;
    const m = SLO_METRICS[family];
    if ('unsupported' in m) notes.push(`SLO '${slo.name}': no k6 threshold: ${m.unsupported}`);
    else if (m.sseOnly && mode !== 'sse')
      notes.push(`SLO '${slo.name}': no k6 threshold in stock mode (inter-token gaps need --mode sse)`);
  }
  if (mode === 'stock' && scenario.workload.classes.some((c) => c.stream))
    notes.push(
      'stock mode: TTFT is time to first byte (res.timings.waiting), a proxy that reads low when the server sends headers before the first token; --mode sse measures it',
    );
  return notes;
}
