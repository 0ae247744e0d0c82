/**
 * A minimal k6 for tests: runs a generated script (the real bundle, converted from ESM to
 * CommonJS by esbuild) in a fresh V8 context whose only globals are JavaScript's own plus what k6
 * provides (__ENV, console), with fake 'k6', 'k6/data', 'k6/http', 'k6/metrics', 'k6/execution'
 * and 'k6/x/sse' modules. A script that touched a Node built-in or a global k6 lacks (process,
 * Buffer, setTimeout, TextEncoder...) would fail here. The clock is fake: Date.now() returns
 * `fake.now`, which fake requests and sleep() advance.
 */
import vm from 'node:vm';
import { transform } from 'esbuild';

export interface FakeTimings {
  blocked: number;
  connecting: number;
  tls_handshaking: number;
  sending: number;
  waiting: number;
  receiving: number;
}

export interface FakeResponse {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  timings?: Partial<FakeTimings>;
  error?: string;
  error_code?: number;
}

export interface FakePost {
  url: string;
  body: string;
  params: { headers: Record<string, string>; timeout?: number | string; tags?: Record<string, string> };
}

/** One server-sent event of a fake stream, `delayMs` after the previous one. */
export interface FakeEvent {
  delayMs: number;
  data: string;
}

export interface FakeMetric {
  type: 'trend' | 'counter' | 'rate';
  isTime: boolean;
  samples: number[];
}

export class FakeK6 {
  now = 1_000_000;
  posts: FakePost[] = [];
  sleeps: number[] = [];
  sharedArrays: string[] = [];
  /** Options of each call to the k6-summary jslib's textSummary. */
  textSummaryCalls: { indent: string; enableColors: boolean }[] = [];
  metrics = new Map<string, FakeMetric>();
  exec = { scenario: { name: 'default', startTime: 1_000_000, iterationInTest: 0, iterationInInstance: 0 } };
  /** Answers k6/http posts. */
  respond: (post: FakePost) => FakeResponse = () => ({ status: 200, body: '{}' });
  /** Answers xk6-sse opens: status and the events to emit. */
  stream: (post: FakePost) => { status: number; events: FakeEvent[] } = () => ({ status: 200, events: [] });

  /** The modules a k6 script may import. */
  modules(): Record<string, unknown> {
    const fake = this;
    const metric = (type: FakeMetric['type']) =>
      class {
        readonly name: string;
        constructor(name: string, isTime = false) {
          if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,127}$/.test(name))
            throw new Error(`invalid k6 metric name '${name}'`);
          // Each VU runs the init code again: k6 hands back the metric already registered.
          const known = fake.metrics.get(name);
          if (known && known.type !== type)
            throw new Error(`metric '${name}' created as ${known.type} and ${type}`);
          this.name = name;
          if (!known) fake.metrics.set(name, { type, isTime, samples: [] });
        }
        add(value: number | boolean) {
          fake.metrics.get(this.name)!.samples.push(Number(value));
        }
      };
    return {
      k6: {
        sleep: (s: number) => {
          fake.sleeps.push(s);
          fake.now += s * 1000;
        },
      },
      'k6/execution': {
        get scenario() {
          return fake.exec.scenario;
        },
      },
      'k6/metrics': { Counter: metric('counter'), Trend: metric('trend'), Rate: metric('rate') },
      'k6/data': {
        // k6 runs the callback once and shares the array; each VU sees it read-only.
        SharedArray: function SharedArray(name: string, fn: () => unknown[]) {
          fake.sharedArrays.push(name);
          return Object.freeze(fn());
        },
      },
      'k6/http': {
        post: (url: string, body: string, params: FakePost['params']) => {
          const post = { url, body, params };
          fake.posts.push(post);
          const r = fake.respond(post);
          const t: FakeTimings = {
            blocked: 0,
            connecting: 0,
            tls_handshaking: 0,
            sending: 0,
            waiting: 0,
            receiving: 0,
            ...r.timings,
          };
          const duration = t.sending + t.waiting + t.receiving;
          fake.now += t.blocked + t.connecting + t.tls_handshaking + duration;
          return {
            status: r.status,
            body: r.body ?? null,
            headers: r.headers ?? {},
            timings: { ...t, duration },
            error: r.error ?? '',
            error_code: r.error_code ?? 0,
          };
        },
      },
      // The k6-summary jslib a script compiled with --k6-summary imports (k6 fetches it at start).
      'https://jslib.k6.io/k6-summary/0.0.2/index.js': {
        textSummary: (
          data: { metrics: Record<string, unknown> },
          options: { indent: string; enableColors: boolean },
        ) => {
          fake.textSummaryCalls.push(options);
          return `     data_received..................: k6's standard summary of ${Object.keys(data.metrics).length} metrics`;
        },
      },
      'k6/x/sse': {
        open: (
          url: string,
          params: { body: string; headers: Record<string, string>; tags?: Record<string, string> },
          setup: (client: unknown) => void,
        ) => {
          const post = {
            url,
            body: params.body,
            params: { headers: params.headers, tags: params.tags ?? {} },
          };
          fake.posts.push(post);
          const { status, events } = fake.stream(post);
          const handlers: Record<string, ((arg: unknown) => void)[]> = {};
          let closed = false;
          setup({
            on: (name: string, h: (arg: unknown) => void) => {
              (handlers[name] ??= []).push(h);
            },
            close: () => {
              closed = true;
            },
          });
          for (const e of events) {
            if (closed) break;
            fake.now += e.delayMs;
            for (const h of handlers['event'] ?? []) h({ id: '', name: '', data: e.data, comment: '' });
          }
          return { url, status, headers: {}, error: '' };
        },
      },
    };
  }

  /** Samples of one metric ([] if it was never added to). */
  samples(name: string): number[] {
    return this.metrics.get(name)?.samples ?? [];
  }

  /** Sum of a counter. */
  count(name: string): number {
    return this.samples(name).reduce((a, v) => a + v, 0);
  }

  /** The data k6 passes to handleSummary, from the recorded samples (thresholds all ok). */
  summaryData(thresholds: Record<string, string[]>, testRunDurationMs = 60_000): unknown {
    const metrics: Record<string, unknown> = {};
    for (const [name, m] of this.metrics) {
      if (m.samples.length === 0) continue;
      metrics[name] = { type: m.type, contains: m.isTime ? 'time' : 'default', values: values(m) };
    }
    metrics['dropped_iterations'] ??= { type: 'counter', values: { count: 0, rate: 0 } };
    for (const [name, list] of Object.entries(thresholds)) {
      const m = (metrics[name] ??= { type: 'counter', values: { count: 0, rate: 0 } }) as Record<
        string,
        unknown
      >;
      m['thresholds'] = Object.fromEntries(list.map((t) => [t, { ok: true }]));
    }
    return { metrics, state: { testRunDurationMs, isStdOutTTY: false, isStdErrTTY: false } };
  }
}

function values(m: FakeMetric): Record<string, number> {
  const s = m.samples;
  const sum = s.reduce((a, v) => a + v, 0);
  if (m.type === 'counter') return { count: sum, rate: sum / 60 };
  if (m.type === 'rate') {
    const passes = s.filter((v) => v !== 0).length;
    return { rate: passes / s.length, passes, fails: s.length - passes };
  }
  const sorted = [...s].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return {
    avg: sum / s.length,
    min: sorted[0]!,
    med: q(0.5),
    max: sorted[sorted.length - 1]!,
    'p(50)': q(0.5),
    'p(90)': q(0.9),
    'p(95)': q(0.95),
    'p(99)': q(0.99),
    count: s.length,
  };
}

/** What a loaded script exports. */
export interface LoadedScript {
  options: { scenarios: Record<string, unknown>; thresholds: Record<string, string[]> } & Record<
    string,
    unknown
  >;
  default: () => void;
  handleSummary: (data: unknown) => Record<string, string>;
}

/** Loads a generated script into a fresh context with `fake` as k6 and `env` as __ENV. */
export async function loadScript(
  text: string,
  fake: FakeK6,
  env: Record<string, string> = {},
): Promise<LoadedScript> {
  const { code } = await transform(text, { format: 'cjs', loader: 'js', target: 'es2020' });
  const modules = fake.modules();
  const module = { exports: {} as Record<string, unknown> };
  const context = vm.createContext({
    require: (name: string) => {
      if (!(name in modules)) throw new Error(`the script imports '${name}', which is not a k6 module`);
      return modules[name];
    },
    module,
    exports: module.exports,
    __ENV: env,
    console,
    __clock: () => fake.now,
  });
  vm.runInContext('Date.now = () => __clock();', context);
  vm.runInContext(code, context, { filename: 'generated-k6-script.js' });
  return module.exports as unknown as LoadedScript;
}

/** An OpenAI streamed response: a role chunk, `tokens` content chunks, finish, usage, [DONE]. */
export function streamBody(tokens: number, promptTokens = 100): string {
  const chunk = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
  let body = chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] });
  for (let i = 0; i < tokens; i++) body += chunk({ choices: [{ index: 0, delta: { content: ` w${i}` } }] });
  body += chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  body += chunk({ choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: tokens } });
  return `${body}data: [DONE]\n\n`;
}

/** The same stream as xk6-sse events, `firstMs` to the role chunk... then `gapMs` apart. */
export function streamEvents(
  tokens: number,
  firstMs: number,
  gapMs: number,
  promptTokens = 100,
): FakeEvent[] {
  return streamBody(tokens, promptTokens)
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e, i) => ({ delayMs: i === 0 ? firstMs : i === 1 ? 0 : gapMs, data: e.slice(6) }));
}

/**
 * A k6/http server that takes `latencyMs` to answer `answer`; a request whose `timeout` is
 * shorter is cut at it, as k6 cuts it (status 0, error_code 1050), after exactly that long.
 */
export function slowServer(latencyMs: number, answer: FakeResponse): (post: FakePost) => FakeResponse {
  return (post) => {
    const timeout = Number(post.params.timeout);
    if (Number.isFinite(timeout) && timeout < latencyMs)
      return { status: 0, error: 'request timeout', error_code: 1050, timings: { waiting: timeout } };
    return { ...answer, timings: { waiting: latencyMs } };
  };
}

/** A fake k6 with the clock past the (scaled) warmup, so iterations are summarised. */
export function fakeAfterWarmup(): FakeK6 {
  const fake = new FakeK6();
  fake.exec.scenario.startTime = fake.now - 600_000;
  return fake;
}

/** Runs iterations `from`..`to`-1 of a class's k6 scenario. */
export function iterate(
  script: LoadedScript,
  fake: FakeK6,
  scenario: string,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    fake.exec.scenario = {
      ...fake.exec.scenario,
      name: scenario,
      iterationInTest: i,
      iterationInInstance: i,
    };
    script.default();
  }
}

/** A request body the script sent. */
export interface SentBody {
  model: string;
  messages: { role: string; content: string }[];
  max_tokens: number;
  stream: boolean;
  /** Session calls only: the session's id. */
  prompt_cache_key?: string;
}

export const bodyOf = (p: FakePost): SentBody => JSON.parse(p.body) as SentBody;
