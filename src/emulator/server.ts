/**
 * The provider emulator: a scenario's providers behind HTTP APIs in each hosted dialect (OpenAI
 * Chat Completions and Responses, Anthropic Messages, Gemini: dialects/), on the wall clock. The
 * provider and fault objects are the simulator's own (`createProvider`, `scheduleFaults`) driven
 * by a `WallClockScheduler`, so a real gateway, or the k6 script compiled from the same scenario,
 * runs end to end against the models without GPUs.
 *
 * Routes (provider names with `/` are percent-encoded in paths):
 * - `POST /v1/chat/completions`: the provider serving the body's `model`, among those its class
 *   (`X-Floodgate-Class`) may use: the one named so, else the first listing it first among its
 *   `models`, else the first listing it (provider-choice.ts; the prediction of a direct run uses
 *   the same rule); the only provider when there is one and no model is given.
 * - `POST /p/{provider}/v1/chat/completions`: that provider, whatever the model (echoed back).
 * - `POST /v1/responses`, `/v1/messages`, `/v1beta/models/{model}:generateContent` and
 *   `:streamGenerateContent?alt=sse` (each also under `/p/{provider}` and its replicas): the same
 *   choice of provider, answered in that path's dialect (dialects/index.ts `dialectRoute`).
 * - `POST /p/{provider}/replicas/{i}/v1/chat/completions`: replica i of a GPU pool (the way an
 *   endpoint picker addresses single vLLM servers).
 * - `GET /v1/models`, `/p/{provider}/v1/models`: the models served.
 * - `GET /healthz` (the emulator), `/p/{provider}/healthz` (503 in an outage or with every
 *   replica down), `/p/{provider}/replicas/{i}/healthz`.
 * - `GET /metrics`, `/p/{provider}/metrics`, `/p/{provider}/replicas/{i}/metrics`: Prometheus
 *   text (see metrics.ts).
 *
 * A chat request becomes one `Request` and one `Attempt` submitted to the provider (token
 * estimates in openai.ts). The HTTP answer follows the attempt:
 * - non-streaming: when the attempt completes, 200 with the whole completion and `usage`;
 * - streaming: response headers and the first chunk when the first token is due, then one chunk
 *   per token at the modelled token times, written by one shared ticker (every `tickMs` it writes
 *   each stream's tokens that fell due, several per socket write when tokens come faster than
 *   ticks), then the finish chunk, the usage chunk (with `stream_options.include_usage`) and
 *   `data: [DONE]`;
 * - errors in the route's dialect (dialects/outcome-errors.ts; as follows for OpenAI's), with
 *   its rate-limit headers on every answer (dialects/rate-limit-headers.ts): 429
 *   `rate_limit_exceeded` with `retry-after` (seconds) and `retry-after-ms` (both real time: the
 *   model's retry-after divided by the time scale), 503 for server errors (outage, brownout,
 *   replica lost) and overload (queue full), 400 `context_length_exceeded`. An error after
 *   tokens were streamed is an error event in the stream (OpenAI's clients raise it); a stream
 *   cut writes the tokens delivered and drops the connection without finishing the response; a
 *   hang never answers.
 * - a client that disconnects cancels its attempt (`provider.cancel`), as a gateway timeout does.
 *
 * Hostile requests (limits.ts, http-guard.ts, body.ts): every size a request controls is capped
 * (output tokens, body, headers, `n`, `model`), every connection has deadlines for sending its
 * request, Node's own refusals get OpenAI-shaped bodies, long answers go out in batches at the
 * client's pace (write-parts.ts), and a handler that throws answers 500 without stopping the
 * emulator.
 *
 * Faults follow the scenario's timeline from the moment the server listens (simulated time 0).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDistribution, type Distribution } from '../engine/dist/index.ts';
import type { LuckMode } from '../engine/luck.ts';
import { type Random, RngStreams } from '../engine/rng.ts';
import { Attempt, type AttemptStatus } from '../providers/attempt.ts';
import { scheduleFaults } from '../providers/faults/fault-timeline.ts';
import { createProvider } from '../providers/index.ts';
import type { Provider, ReplicaSet } from '../providers/provider.ts';
import { WorkItem } from '../providers/work-item.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { ProviderConfig } from '../scenario/schema.ts';
import { quoted, shorten } from '../text/quote.ts';
import { BodyBudget, readJsonBody } from './body.ts';
import { deadlineExceeded, parseDeadlineHeader } from './deadline.ts';
import {
  type AnswerId,
  dialectRoute,
  OPENAI_CHAT,
  type RouteFacts,
  type StreamWriter,
  type Tally,
  type WireDialect,
} from './dialects/index.ts';
import { dialectError, outcomeOf, sendsRetryAfter, sendsRetryAfterMs } from './dialects/outcome-errors.ts';
import { rateLimitHeaders } from './dialects/rate-limit-headers.ts';
import { guardServer, serverOptions } from './http-guard.ts';
import { type EmulatorLimits, resolveLimits } from './limits.ts';
import { listen } from './listen.ts';
import { type Family, renderMetrics, type Sample } from './metrics.ts';
import {
  type ChatRequest,
  isWireError,
  modelsBody,
  TOKENS_PER_WRITE,
  tokenBatches,
  type WireError,
} from './openai.ts';
import { chooseProvider } from './provider-choice.ts';
import { parseTrafficKeyHeader } from './traffic-key.ts';
import { type LagReport, WallClockScheduler } from './wall-clock.ts';
import { writeParts } from './write-parts.ts';

export interface EmulatorOptions {
  /** TCP port (default 0: any free port; `url` tells which). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /**
   * The provider models' clock: simulated ms per real ms (default 1; 10 runs every latency ten
   * times faster); see `WallClockOptions.timeScale`. The CLI's `--speed`.
   */
  timeScale?: number;
  /**
   * Real seconds per scenario second of the fault timeline (default 1): a fault `at: 2m, for: 1m`
   * starts at 2m x F and lasts 1m x F (on the models' clock). The CLI's `--time-scale`, with the
   * meaning it has on `floodgate k6` and `floodgate run`.
   */
  timelineScale?: number;
  /** Seed of the providers' random streams (default: the scenario's seed). */
  seed?: number;
  /**
   * Whose luck each request meets (engine/luck.ts; default `arrival`): under `request`, a request
   * with `X-Floodgate-Traffic-Key: class.ordinal.send` draws its provider's luck by that key and
   * its attempt count at the provider, as `floodgate run --luck request` simulates it; one
   * without the header draws from the provider's stream in arrival order.
   */
  luck?: LuckMode;
  /** Real ms between two writes of the stream ticker (default 5). */
  tickMs?: number;
  /** Output tokens of a request that names neither `max_tokens` nor a class (default 128). */
  defaultOutputTokens?: number;
  /** Caps on what one request or connection may cost (defaults in limits.ts, `DEFAULT_LIMITS`). */
  limits?: Partial<EmulatorLimits>;
  /** Real ms an event may run late before the emulator reports falling behind (default 100). */
  lagThresholdMs?: number;
  /** Real ms between two lag reports (default 5000). */
  reportEveryMs?: number;
  /** Receives warnings (falling behind real time); default: none. The CLI prints them. */
  onWarning?: (message: string) => void;
  /**
   * Receives an exception thrown by a model while the emulator dispatched events (a bug; the
   * models' state is no longer trusted, the CLI stops). Default: rethrown, so it surfaces as an
   * uncaught exception. An exception while handling a request is not one of these: the request
   * gets a 500, `stats().internalErrors` counts it, and `onWarning` reports each distinct one once.
   */
  onError?: (error: unknown) => void;
}

/** Counts per provider: HTTP chat requests by outcome, tokens answered. */
export interface ProviderCounts {
  /** ok, rate_limited, server_error, overloaded, bad_request, stream_cut, cancelled (the client left), shutdown. */
  requests: Record<string, number>;
  promptTokens: number;
  completionTokens: number;
}

export interface EmulatorStats {
  /** Simulated ms since the server started listening. */
  simulatedMs: number;
  /** Chat requests still open. */
  openRequests: number;
  providers: Record<string, ProviderCounts>;
  /** Scheduler events dispatched, those that ran late by more than the threshold, the worst lag (real ms). */
  events: number;
  lateEvents: number;
  maxLagMs: number;
  /** Requests answered 500 because handling them threw (a bug in floodgate). */
  internalErrors: number;
  /** Chat requests served that carried a traffic key (`X-Floodgate-Traffic-Key`). */
  keyedRequests: number;
}

/** A running emulator. */
export interface Emulator {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  readonly timeScale: number;
  stats(): EmulatorStats;
  /**
   * Stops: refuses new requests, ends open ones (503 before the first byte, an error event in a
   * stream), stops the clock, closes the server. Resolves when every connection is closed.
   */
  close(): Promise<void>;
}

/** One provider as the server sees it. */
interface ProviderEntry {
  readonly index: number;
  readonly provider: Provider;
  readonly config: ProviderConfig;
  readonly counts: ProviderCounts;
}

/** One chat request in flight: the HTTP exchange and its attempt. */
interface Exchange {
  readonly id: string;
  /** The API the request spoke; its answer, events and errors are in the same. */
  readonly dialect: WireDialect;
  readonly entry: ProviderEntry;
  readonly attempt: Attempt;
  /** `length` when the request set a maximum (the model always writes it all), else `stop`. */
  readonly finishReason: 'stop' | 'length';
  readonly model: string;
  readonly res: ServerResponse;
  /** Unix seconds, as OpenAI's `created`. */
  readonly created: number;
  readonly writer: StreamWriter | undefined;
  /** Tokens written so far (streaming). */
  sent: number;
  /** The response is still ours to write (not ended, client still there). */
  open: boolean;
}

/** Distinct internal errors reported through `onWarning` (later ones are only counted). */
const MAX_REPORTED_INTERNAL_ERRORS = 10;
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};
const JSON_TYPE = 'application/json';

/**
 * Starts the emulator for a loaded scenario and resolves once it listens. Simulated time 0 (the
 * start of the fault timeline) is the moment it starts listening.
 *
 * ```ts
 * const emu = await startEmulator(await loadScenarioFile('scenarios/quickstart.yaml'), { timeScale: 10 });
 * const client = new OpenAI({ baseURL: `${emu.url}/p/fast-api/v1`, apiKey: 'unused' });
 * // ...
 * await emu.close();
 * ```
 */
export async function startEmulator(
  loaded: LoadedScenario,
  options: EmulatorOptions = {},
): Promise<Emulator> {
  const scenario = loaded.scenario;
  const tickMs = options.tickMs ?? 5;
  const limits = resolveLimits(options.limits);
  const maxOutputTokens = limits.maxOutputTokens;
  const defaultOutputTokens = options.defaultOutputTokens ?? Math.min(128, maxOutputTokens);
  const port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  if (!(tickMs > 0)) throw new Error(`tickMs must be a positive number of ms, got ${tickMs}`);
  if (
    !Number.isInteger(defaultOutputTokens) ||
    defaultOutputTokens < 1 ||
    defaultOutputTokens > maxOutputTokens
  )
    throw new Error(
      `defaultOutputTokens must be a whole number in 1..${maxOutputTokens} (limits.maxOutputTokens), got ${defaultOutputTokens}`,
    );
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`port must be a whole number in 0..65535, got ${port}`);
  const onError =
    options.onError ??
    ((e: unknown) => {
      throw e;
    });
  const scheduler = new WallClockScheduler({
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    ...(options.lagThresholdMs !== undefined ? { lagThresholdMs: options.lagThresholdMs } : {}),
    ...(options.reportEveryMs !== undefined ? { reportEveryMs: options.reportEveryMs } : {}),
    onLag: (r: LagReport) => options.onWarning?.(r.message),
    onError,
  });
  const timeScale = scheduler.timeScale;
  const streams = new RngStreams(options.seed ?? scenario.seed);
  // The emulator serves what a pool has at the start; it runs no control loop (issue 17's
  // autoscaler lives in the simulator), so a scenario that scales says so rather than silently not.
  for (const config of scenario.providers)
    if (config.kind === 'gpu' && config.autoscaling)
      options.onWarning?.(
        `provider ${quoted(config.name)}: autoscaling is not emulated: the pool serves with a fixed replica count`,
      );

  const exchanges = new Map<Attempt, Exchange>();
  const sink = { attemptDone: (a: Attempt) => attemptDone(a) };
  const entries: ProviderEntry[] = scenario.providers.map((config, index) => {
    const provider = createProvider(config, scheduler, sink, streams, {
      ...(options.luck !== undefined ? { luck: options.luck } : {}),
    });
    return {
      index,
      provider,
      config,
      counts: { requests: {}, promptTokens: 0, completionTokens: 0 },
    };
  });
  const byName = new Map(entries.map((e) => [e.provider.name, e]));
  // Each model's provider for a request that names no class (provider-choice.ts, as the prediction of a direct run).
  const served = entries.map((e) => ({ name: e.provider.name, models: e.provider.models }));
  const byModel = new Map<string, ProviderEntry>();
  for (const e of entries)
    for (const m of [e.provider.name, ...e.provider.models])
      if (!byModel.has(m)) byModel.set(m, entries[chooseProvider(served, m)!]!);
  const timelineScale = options.timelineScale ?? 1;
  if (!(timelineScale > 0 && Number.isFinite(timelineScale)))
    throw new Error(`timelineScale must be a number greater than 0, got ${timelineScale}`);
  const faults = scenario.faults.map((f) => ({ ...f, at: f.at * timelineScale, for: f.for * timelineScale }));
  scheduleFaults(scheduler, faults, new Map(entries.map((e) => [e.provider.name, e.provider])));

  // Request classes (header x-floodgate-class): their output-token distributions.
  const classes = scenario.workload.classes;
  const classIndex = new Map(classes.map((c, i) => [c.name, i]));
  const outputDist: Distribution[] = classes.map((c) => createDistribution(c.outputTokens));
  const classRng: Random[] = classes.map((c) => streams.get(`emulator/tokens/${c.name}`));

  let nextId = 0;
  let closing = false;
  let closed: Promise<void> | undefined;
  const created = () => Math.floor(Date.now() / 1000);

  // Streams ----------------------------------------------------------------------------------

  /** Open streaming exchanges the ticker writes to (finished ones are swept on the next tick). */
  let live: Exchange[] = [];
  let ticker: NodeJS.Timeout | undefined;
  const tick = () => {
    try {
      scheduler.runDue();
      const now = scheduler.now();
      let w = 0;
      for (const ex of live) {
        if (!ex.open) continue;
        const due = ex.entry.provider.deliveredTokens(ex.attempt, now);
        // A client that reads slower than tokens come gets them when its buffer drains (the
        // tokens stay due); a burst goes out in batches, one per tick.
        if (due > ex.sent && !ex.res.writableNeedDrain)
          writeTokens(ex, Math.min(due, ex.sent + TOKENS_PER_WRITE));
        live[w++] = ex;
      }
      live.length = w;
      if (w === 0) stopTicker();
    } catch (e) {
      onError(e);
    }
  };
  const startTicker = () => {
    if (ticker === undefined && !closing) ticker = setInterval(tick, tickMs);
  };
  const stopTicker = () => {
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
  };

  /** Writes tokens `ex.sent` .. `to - 1` of a stream (headers first, with the first token). */
  function writeTokens(ex: Exchange, to: number): void {
    startStream(ex);
    ex.res.write(ex.writer!.tokens(ex.sent, to));
    ex.sent = to;
  }

  /** The response headers and the events before the first token (once). */
  function startStream(ex: Exchange): void {
    if (ex.res.headersSent) return;
    const contentType = ex.writer!.contentType;
    ex.res.writeHead(200, {
      ...SSE_HEADERS,
      ...(contentType !== undefined ? { 'content-type': contentType } : {}),
      ...commonHeaders(ex),
    });
    const preamble = ex.writer!.start(tally(ex, 0));
    if (preamble !== '') ex.res.write(preamble);
  }

  /** What the exchange's answer reports, with `outputTokens` written. */
  function tally(ex: Exchange, outputTokens: number): Tally {
    const a = ex.attempt;
    return {
      finish: ex.finishReason,
      promptTokens: a.work.promptTokens,
      outputTokens,
      cachedTokens: a.cachedInputTokens,
      cacheWriteTokens: a.cacheWriteInputTokens,
    };
  }

  /**
   * Writes the rest of a stream, tokens `ex.sent` .. `to - 1` in batches as the client reads
   * them, then `last` (the closing events) or, without it, drops the connection (a stream cut).
   */
  function finishStream(ex: Exchange, to: number, last: Iterable<string> | undefined): void {
    startStream(ex);
    const res = ex.res;
    const writer = ex.writer!;
    const tokens = tokenBatches(ex.sent, to, (a, b) => writer.tokens(a, b));
    ex.sent = Math.max(ex.sent, to);
    writeParts(
      res,
      (function* () {
        yield* tokens;
        if (last !== undefined) yield* last;
      })(),
      () => {
        if (last !== undefined) res.end();
        // End the socket once the tokens are flushed, without the response's last chunk.
        else if (res.socket) res.socket.destroySoon();
        else res.destroy();
      },
      (e) => internalError(res, e),
    );
  }

  // Attempt outcomes -------------------------------------------------------------------------

  function attemptDone(a: Attempt): void {
    const ex = exchanges.get(a);
    if (!ex) return; // the client left (or the server closed) before the provider finished
    exchanges.delete(a);
    if (!ex.open) return;
    answer(ex, a.status);
  }

  function finishExchange(ex: Exchange, outcome: string, completionTokens: number): void {
    ex.open = false;
    const counts = ex.entry.counts;
    counts.requests[outcome] = (counts.requests[outcome] ?? 0) + 1;
    counts.promptTokens += ex.attempt.work.promptTokens;
    counts.completionTokens += completionTokens;
  }

  /** Every answer's headers: its id, the provider, and the rate-limit headers of the dialect. */
  function commonHeaders(ex: Exchange): Record<string, string> {
    return {
      'x-request-id': ex.id,
      // Anthropic's clients read the id from `request-id`.
      ...(ex.dialect.api === 'anthropic-messages' ? { 'request-id': ex.id } : {}),
      'x-floodgate-provider': ex.entry.provider.name,
      ...rateLimitHeaders(ex.dialect.api, ex.attempt.rateLimit, timeScale, Date.now()),
    };
  }

  /** Answers an exchange whose attempt ended with `status`. */
  function answer(ex: Exchange, status: AttemptStatus): void {
    const a = ex.attempt;
    const res = ex.res;
    switch (status) {
      case 'ok': {
        const n = a.outputTokens;
        finishExchange(ex, 'ok', n);
        // cachedInputTokens: what the hosted API's prompt cache or the GPU pool's prefix cache served.
        const t = tally(ex, n);
        if (ex.writer) finishStream(ex, n, ex.writer.finish(t));
        else {
          const body = ex.dialect.body(answerId(ex), t);
          res.writeHead(200, {
            'content-type': JSON_TYPE,
            'content-length': String(body.bytes),
            ...commonHeaders(ex),
          });
          writeParts(
            res,
            body.parts,
            () => res.end(),
            (e) => internalError(res, e),
          );
        }
        return;
      }
      case 'stream_cut': {
        // The connection drops after the tokens that made it out: no finish chunk, no [DONE].
        finishExchange(ex, 'stream_cut', a.outputTokens);
        if (ex.writer && a.outputTokens > 0) finishStream(ex, a.outputTokens, undefined);
        else res.destroy();
        return;
      }
      default: {
        const api = ex.dialect.api;
        const outcome = outcomeOf(status, ex.entry.provider.faults.limitFactor === 0);
        const error = dialectError(api, outcome, wireErrorFor(ex, status));
        // Counted with the 429s, as before the simulator told quota refusals apart.
        finishExchange(ex, status === 'quota_exceeded' ? 'rate_limited' : status, ex.sent);
        if (res.headersSent) {
          res.end(ex.writer!.error(error));
          return;
        }
        const headers: Record<string, string> = { 'content-type': JSON_TYPE, ...commonHeaders(ex) };
        if (status === 'rate_limited' && sendsRetryAfter(api, outcome)) {
          const realMs = Math.max(0, a.retryAfterMs / timeScale);
          headers['retry-after'] = String(Math.ceil(realMs / 1000));
          if (sendsRetryAfterMs(api)) headers['retry-after-ms'] = String(Math.ceil(realMs));
        }
        res.writeHead(error.status, headers);
        res.end(ex.dialect.errorBody(error));
      }
    }
  }

  function wireErrorFor(ex: Exchange, status: AttemptStatus): WireError {
    const name = ex.entry.provider.name;
    switch (status) {
      case 'quota_exceeded':
        // Refused for good (the limit is cut to zero): no wait to offer.
        return {
          status: 429,
          message: `The limit for ${ex.model} on provider ${name} is zero: waiting will not help.`,
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
        };
      case 'rate_limited': {
        const seconds = ex.attempt.retryAfterMs / timeScale / 1000;
        return {
          status: 429,
          message: `Rate limit reached for ${ex.model} on provider ${name}. Please try again in ${seconds.toFixed(3)}s.`,
          type: 'requests',
          param: null,
          code: 'rate_limit_exceeded',
          // Gemini says it in the body (RetryInfo); the other dialects ignore it.
          retryAfterS: Math.ceil(seconds),
        };
      }
      case 'overloaded':
        return {
          status: 503,
          message: `That model is currently overloaded with other requests (provider ${name}: queue full). You can retry your request.`,
          type: 'server_error',
          param: null,
          code: 'server_is_overloaded',
        };
      case 'bad_request': {
        const req = ex.attempt.work;
        return {
          status: 400,
          message:
            `This model's maximum context length is ${ex.entry.provider.contextWindow} tokens. However, you requested ` +
            `${req.promptTokens + req.outputTokens} tokens (${req.promptTokens} in the messages, ` +
            `${req.outputTokens} in the completion). Please reduce the length of the messages or completion.`,
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        };
      }
      default:
        return {
          status: 503,
          message: `The server had an error while processing your request (provider ${name}: ${status}).`,
          type: 'server_error',
          param: null,
          code: 'service_unavailable',
        };
    }
  }

  // HTTP -------------------------------------------------------------------------------------

  function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
    res.writeHead(status, {
      'content-type': JSON_TYPE,
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(body);
  }
  /** An error answer in `dialect`'s shape (OpenAI's where no dialect is known yet). */
  function sendError(res: ServerResponse, e: WireError, dialect: WireDialect = OPENAI_CHAT) {
    sendJson(res, e.status, dialect.errorBody(e));
  }
  function notFound(req: IncomingMessage, res: ServerResponse) {
    sendError(res, {
      status: 404,
      message: `Unknown request URL: ${req.method} ${shorten(req.url ?? '', 100)}. Routes: POST /v1/chat/completions, GET /v1/models, /metrics, /healthz, each also under /p/{provider}.`,
      type: 'invalid_request_error',
      param: null,
      code: 'unknown_url',
    });
  }

  let internalErrors = 0;
  let keyedRequests = 0;
  const reportedErrors = new Set<string>();
  /**
   * A bug met while handling a request: answer 500 if nothing was sent yet (else drop the
   * connection, the response being unfinishable), count it, report each distinct one once. The
   * emulator keeps serving.
   */
  function internalError(res: ServerResponse, e: unknown): void {
    try {
      if (!res.headersSent) {
        res.setHeader('connection', 'close');
        sendError(res, {
          status: 500,
          message: 'internal emulator error',
          type: 'server_error',
          param: null,
          code: null,
        });
      } else res.destroy();
    } catch {
      res.destroy();
    }
    noteInternalError(e);
  }

  function noteInternalError(e: unknown): void {
    internalErrors++;
    const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    const key = e instanceof Error ? e.message : text;
    if (reportedErrors.has(key) || reportedErrors.size >= MAX_REPORTED_INTERNAL_ERRORS) return;
    reportedErrors.add(key);
    options.onWarning?.(
      `internal error while handling a request (a bug in floodgate; the request got a 500, the emulator goes on; later ones with the same message are only counted): ${text}`,
    );
  }

  /** Runs a request handler: whatever it throws becomes a 500, never an uncaught exception. */
  function guarded(res: ServerResponse, handler: () => void): void {
    try {
      handler();
    } catch (e) {
      internalError(res, e);
    }
  }

  /** Brings the models up to now; a model that throws here is a bug in its events (onError). */
  function catchUp(): void {
    try {
      scheduler.runDue();
    } catch (e) {
      onError(e);
    }
  }

  const bodyBudget = new BodyBudget(limits.maxBodyBytes, limits.maxBufferedBodyBytes);
  const server: Server = createServer(serverOptions(limits), (req, res) =>
    guarded(res, () => route(req, res)),
  );
  guardServer(server, limits);

  function route(req: IncomingMessage, res: ServerResponse): void {
    const path = parsePath(req.url ?? '/');
    if (!path) {
      notFound(req, res);
      return;
    }
    let entry: ProviderEntry | undefined;
    if (path.provider !== undefined) {
      entry = byName.get(path.provider);
      if (!entry) {
        sendError(res, {
          status: 404,
          message: `Unknown provider ${quoted(path.provider, 100)}; this scenario has ${entries.map((e) => `'${e.provider.name}'`).join(', ')}.`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_provider',
        });
        return;
      }
      const replicas = entry.provider.replicas;
      if (path.replica !== undefined && !replicas?.has(path.replica)) {
        sendError(res, {
          status: 404,
          message: `Provider '${entry.provider.name}' has no replica ${path.replica} (replicas exist for gpu pools: ${replicaIds(replicas)}).`,
          type: 'invalid_request_error',
          param: null,
          code: 'unknown_replica',
        });
        return;
      }
    }
    const method = req.method ?? 'GET';
    const generation = dialectRoute(path.rest, path.query);
    if (generation) {
      const { dialect, facts } = generation;
      if (method !== 'POST') {
        methodNotAllowed(res, 'POST', dialect);
        return;
      }
      readJsonBody(req, bodyBudget, (result) =>
        guarded(res, () => {
          if (res.destroyed) return; // the client left while sending
          if (isWireError(result)) {
            // A refused body is not read to its end: the connection cannot carry another request.
            if (result.status !== 400) res.setHeader('connection', 'close');
            sendError(res, result, dialect);
          } else chat(req, res, result.body, entry, path.replica, dialect, facts);
        }),
      );
      return;
    }
    switch (path.rest) {
      case '/v1/models':
      case '/models':
        if (method !== 'GET') {
          methodNotAllowed(res, 'GET');
          return;
        }
        {
          sendJson(res, 200, modelsBody(modelList(entry), created()));
          return;
        }
      case '/metrics':
        if (method !== 'GET') {
          methodNotAllowed(res, 'GET');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(metricsText(entry, path.replica));
        return;
      case '/healthz':
      case '/health': {
        if (method !== 'GET') {
          methodNotAllowed(res, 'GET');
          return;
        }
        catchUp();
        const up = !closing && (entry === undefined || isUp(entry, path.replica));
        sendJson(res, up ? 200 : 503, JSON.stringify({ status: up ? 'ok' : 'unavailable' }));
        return;
      }
      default: {
        notFound(req, res);
        return;
      }
    }
  }

  function methodNotAllowed(res: ServerResponse, allow: string, dialect: WireDialect = OPENAI_CHAT) {
    res.setHeader('allow', allow);
    sendError(
      res,
      {
        status: 405,
        message: `Method not allowed; use ${allow}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'method_not_allowed',
      },
      dialect,
    );
  }

  function chat(
    req: IncomingMessage,
    res: ServerResponse,
    body: unknown,
    pinned: ProviderEntry | undefined,
    replica: number | undefined,
    dialect: WireDialect,
    facts: RouteFacts,
  ): void {
    const refuse = (e: WireError) => sendError(res, e, dialect);
    if (closing) {
      refuse(shuttingDown());
      return;
    }
    const refusal = routeRefusal(req, dialect, facts);
    if (refusal) {
      refuse(refusal);
      return;
    }
    const parsed = dialect.parse(body, maxOutputTokens, facts);
    if (isWireError(parsed)) {
      refuse(parsed);
      return;
    }
    const chatReq = parsed;
    let entry = pinned;
    if (!entry) {
      if (chatReq.model === undefined) {
        if (entries.length !== 1) {
          refuse({
            status: 400,
            message: `Missing required parameter: 'model' (one of ${[...byModel.keys()].join(', ')}).`,
            type: 'invalid_request_error',
            param: 'model',
            code: 'missing_required_parameter',
          });
          return;
        }
        entry = entries[0]!;
      } else {
        entry = byModel.get(chatReq.model);
        if (!entry) {
          refuse({
            status: 404,
            message: `The model \`${chatReq.model}\` does not exist or you do not have access to it. This emulator serves ${[...byModel.keys()].join(', ')}.`,
            type: 'invalid_request_error',
            param: 'model',
            code: 'model_not_found',
          });
          return;
        }
      }
    }
    const classHeader = req.headers['x-floodgate-class'];
    const className = typeof classHeader === 'string' ? classHeader : undefined;
    const ci = className !== undefined ? classIndex.get(className) : undefined;
    if (className !== undefined && ci === undefined) {
      refuse({
        status: 400,
        message: `Unknown request class ${quoted(className, 100)} in x-floodgate-class; this scenario has ${classes.map((c) => `'${c.name}'`).join(', ')}.`,
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_class',
      });
      return;
    }
    const deadlineMs = parseDeadlineHeader(req.headers['x-floodgate-deadline-ms']);
    if (isWireError(deadlineMs)) {
      refuse(deadlineMs);
      return;
    }
    const key = parseTrafficKeyHeader(req.headers['x-floodgate-traffic-key']);
    if (isWireError(key)) {
      refuse(key);
      return;
    }
    // A request of a known class goes to a provider its class may use (provider-choice.ts).
    if (!pinned && chatReq.model !== undefined && ci !== undefined) {
      const chosen = chooseProvider(served, chatReq.model, classes[ci]!);
      if (chosen !== undefined) entry = entries[chosen]!;
    }

    catchUp(); // bring the models up to now before this arrival
    const now = scheduler.now();
    // A class's draw is capped like a request's max_tokens (a heavy tail must not build a huge answer).
    const draw = () =>
      Math.min(maxOutputTokens, Math.max(1, Math.round(outputDist[ci!]!.sample(classRng[ci!]!))));
    // A maximum that is only a cap (Anthropic's) bounds the class's draw; otherwise it is the length.
    const outputTokens =
      chatReq.maxIsCap && chatReq.maxTokens !== undefined && ci !== undefined
        ? Math.min(chatReq.maxTokens, draw())
        : (chatReq.maxTokens ?? (ci !== undefined ? draw() : defaultOutputTokens));
    const { prefixId, prefixTokens } = prefixOf(chatReq, req.headers['x-floodgate-session']);
    const id = nextId++;
    // The arrival facts the provider serves, made as the workload makes them (the class, when the
    // call names one, drew the output size above).
    const work = new WorkItem(
      id,
      ci ?? -1,
      now,
      chatReq.promptTokens,
      outputTokens,
      Number.POSITIVE_INFINITY,
      true,
      chatReq.stream,
      prefixId,
      prefixTokens,
    );
    if (key !== undefined) {
      work.trafficKey = key;
      keyedRequests++;
    }
    const attempt = new Attempt(work, undefined, 0, entry.index, now, entry.index);
    const model = chatReq.model ?? entry.provider.models[0] ?? entry.provider.name;
    const exId = `${dialect.idPrefix}emu${id.toString(36)}`;
    const createdS = created();
    const answer: AnswerId = { id: exId, created: createdS, model };
    const ex: Exchange = {
      id: exId,
      dialect,
      entry,
      attempt,
      // Nothing of the body is kept past this call (a prompt may be megabytes).
      finishReason: chatReq.maxTokens !== undefined && outputTokens >= chatReq.maxTokens ? 'length' : 'stop',
      model,
      res,
      created: createdS,
      writer: chatReq.stream ? dialect.stream(answer, chatReq) : undefined,
      sent: 0,
      open: true,
    };
    exchanges.set(attempt, ex);
    res.on('close', () => {
      if (!ex.open) return;
      // The client went away first: the gateway's cancel (FG-1: the provider still reports it).
      finishExchange(ex, 'cancelled', ex.sent);
      exchanges.delete(attempt);
      catchUp();
      try {
        attempt.abandoned = true;
        entry.provider.cancel(attempt); // providers ignore attempts already finished
      } catch (e) {
        noteInternalError(e);
      }
    });
    if (ex.writer) {
      live.push(ex);
      startTicker();
    }
    try {
      if (replica !== undefined) entry.provider.replicas!.submitTo(replica, attempt);
      else entry.provider.submit(attempt);
      // The deadline is real ms from the arrival: on the models' clock, times the speed.
      if (deadlineMs !== undefined && ex.open)
        scheduler.at(now + deadlineMs * timeScale, onDeadline, { ex, deadlineMs });
    } catch (e) {
      // Nothing will answer this exchange but the 500 the caller writes.
      if (ex.open) finishExchange(ex, 'internal_error', 0);
      exchanges.delete(attempt);
      throw e;
    }
  }

  /** A request still waiting in its provider's queue at its deadline is dropped (deadline.ts). */
  function onDeadline({ ex, deadlineMs }: { ex: Exchange; deadlineMs: number }): void {
    const a = ex.attempt;
    if (!ex.open || !exchanges.has(a) || a.status !== 'pending' || !Number.isNaN(a.serviceStartMs)) return;
    exchanges.delete(a);
    finishExchange(ex, 'deadline_exceeded', 0);
    try {
      a.abandoned = true;
      ex.entry.provider.cancel(a);
    } catch (e) {
      noteInternalError(e);
    }
    const error = deadlineExceeded(ex.entry.provider.name, deadlineMs);
    ex.res.writeHead(error.status, { 'content-type': JSON_TYPE, ...commonHeaders(ex) });
    ex.res.end(ex.dialect.errorBody(error));
  }

  function answerId(ex: Exchange): AnswerId {
    return { id: ex.id, created: ex.created, model: ex.model };
  }

  /**
   * What the route itself refuses before the body is read: an Anthropic request without
   * `anthropic-version` (the API requires it; `x-api-key` is not checked: the emulator has no
   * keys), a Gemini model name that does not decode.
   */
  function routeRefusal(
    req: IncomingMessage,
    dialect: WireDialect,
    facts: RouteFacts,
  ): WireError | undefined {
    if (dialect.api === 'anthropic-messages' && typeof req.headers['anthropic-version'] !== 'string')
      return {
        status: 400,
        message: 'anthropic-version: header is required',
        type: 'invalid_request_error',
        param: null,
        code: null,
      };
    if (dialect.api !== 'gemini') return undefined;
    if (facts.model === undefined)
      return {
        status: 404,
        message: 'The model name in the path is not valid.',
        type: 'NOT_FOUND',
        param: null,
        code: null,
      };
    return undefined;
  }

  function shuttingDown(): WireError {
    return {
      status: 503,
      message: 'The emulator is shutting down.',
      type: 'server_error',
      param: null,
      code: 'shutting_down',
    };
  }

  function modelList(entry: ProviderEntry | undefined): { id: string; ownedBy: string }[] {
    const seen = new Set<string>();
    const out: { id: string; ownedBy: string }[] = [];
    for (const e of entry ? [entry] : entries) {
      for (const m of e.provider.models) {
        if (seen.has(m)) continue;
        seen.add(m);
        out.push({ id: m, ownedBy: e.provider.name });
      }
    }
    return out;
  }

  function isUp(entry: ProviderEntry, replica: number | undefined): boolean {
    const p = entry.provider;
    if (p.faults.outage) return false;
    const replicas = p.replicas;
    if (!replicas) return true;
    if (replica !== undefined) return replicas.has(replica) && replicas.gauges(replica).up;
    for (let i = 0; i < replicas.count; i++) if (replicas.gauges(replicas.idAt(i)).up) return true;
    return false;
  }

  function metricsText(only: ProviderEntry | undefined, replicaOnly: number | undefined): string {
    catchUp();
    const running: Sample[] = [];
    const waiting: Sample[] = [];
    const kv: Sample[] = [];
    const up: Sample[] = [];
    for (const e of only ? [only] : entries) {
      const replicas = e.provider.replicas;
      if (!replicas) continue;
      const model = e.provider.models[0] ?? e.provider.name;
      for (let i = 0; i < replicas.count; i++) {
        const id = replicas.idAt(i);
        if (replicaOnly !== undefined && id !== replicaOnly) continue;
        const labels = { model_name: model, provider: e.provider.name, replica: String(id) };
        const g = replicas.gauges(id);
        running.push({ labels, value: g.running });
        waiting.push({ labels, value: g.waiting });
        kv.push({ labels, value: g.kvUsage });
        up.push({ labels, value: g.up ? 1 : 0 });
      }
    }
    const families: Family[] = [
      {
        name: 'vllm:num_requests_running',
        help: 'Number of requests currently running on GPU.',
        type: 'gauge',
        samples: running,
      },
      {
        name: 'vllm:num_requests_waiting',
        help: 'Number of requests waiting to be processed.',
        type: 'gauge',
        samples: waiting,
      },
      {
        name: 'vllm:gpu_cache_usage_perc',
        help: 'GPU KV-cache usage. 1 means 100 percent usage.',
        type: 'gauge',
        samples: kv,
      },
      {
        name: 'vllm:kv_cache_usage_perc',
        help: 'KV-cache usage. 1 means 100 percent usage (vLLM V1 name of vllm:gpu_cache_usage_perc).',
        type: 'gauge',
        samples: kv,
      },
      {
        name: 'floodgate_emulator_replica_up',
        help: 'GPU replica serving (0 while lost to a capacity-loss fault or warming up).',
        type: 'gauge',
        samples: up,
      },
    ];
    if (replicaOnly === undefined) {
      const requests: Sample[] = [];
      const prompt: Sample[] = [];
      const completion: Sample[] = [];
      const inService: Sample[] = [];
      const queued: Sample[] = [];
      const faults: Sample[] = [];
      for (const e of only ? [only] : entries) {
        const provider = e.provider.name;
        for (const [status, n] of Object.entries(e.counts.requests).sort(([x], [y]) => (x < y ? -1 : 1)))
          requests.push({ labels: { provider, status }, value: n });
        prompt.push({ labels: { provider }, value: e.counts.promptTokens });
        completion.push({ labels: { provider }, value: e.counts.completionTokens });
        inService.push({ labels: { provider }, value: e.provider.inService() });
        queued.push({ labels: { provider }, value: e.provider.queued() });
        const f = e.provider.faults;
        const active: Record<string, boolean> = {
          outage: f.outage,
          hang: f.hang,
          brownout: f.latency !== 1 || f.errorRate > 0,
          'rate-limit-storm': f.limitFactor !== 1,
          'capacity-loss': f.capacityFactor !== 1,
          'stream-cut': f.streamCutProbability > 0,
          // A spot reclaim is an instant, not a window: it shows in the replicas, not here.
          'metrics-outage': f.metricsDown,
        };
        for (const [kind, on] of Object.entries(active))
          faults.push({ labels: { provider, kind }, value: on ? 1 : 0 });
      }
      families.push(
        {
          name: 'floodgate_emulator_requests_total',
          help: 'Chat requests answered, by provider and outcome (cancelled: the client left first).',
          type: 'counter',
          samples: requests,
        },
        {
          name: 'floodgate_emulator_prompt_tokens_total',
          help: 'Prompt tokens of the chat requests answered (estimated at 4 characters per token).',
          type: 'counter',
          samples: prompt,
        },
        {
          name: 'floodgate_emulator_completion_tokens_total',
          help: 'Output tokens sent.',
          type: 'counter',
          samples: completion,
        },
        {
          name: 'floodgate_emulator_in_service',
          help: 'Attempts in service at the provider (ground truth of the model).',
          type: 'gauge',
          samples: inService,
        },
        {
          name: 'floodgate_emulator_queued',
          help: 'Attempts waiting at the provider (ground truth of the model).',
          type: 'gauge',
          samples: queued,
        },
        {
          name: 'floodgate_emulator_fault_active',
          help: 'Fault kinds in force on the provider (1 active).',
          type: 'gauge',
          samples: faults,
        },
        {
          name: 'floodgate_emulator_open_requests',
          help: 'Chat requests open (waiting or streaming).',
          type: 'gauge',
          samples: [{ labels: {}, value: openRequests() }],
        },
        {
          name: 'floodgate_emulator_simulated_seconds',
          help: 'Simulated time since the emulator started (real time x time scale).',
          type: 'gauge',
          samples: [{ labels: {}, value: scheduler.now() / 1000 }],
        },
        {
          name: 'floodgate_emulator_late_events_total',
          help: 'Model events that ran later than the lag threshold (the emulator fell behind real time).',
          type: 'counter',
          samples: [{ labels: {}, value: scheduler.lateEvents }],
        },
        {
          name: 'floodgate_emulator_internal_errors_total',
          help: 'Requests answered 500 because handling them threw (a bug in floodgate).',
          type: 'counter',
          samples: [{ labels: {}, value: internalErrors }],
        },
        {
          name: 'floodgate_emulator_max_lag_seconds',
          help: 'Worst lag of a model event behind real time so far.',
          type: 'gauge',
          samples: [{ labels: {}, value: scheduler.maxLagMs / 1000 }],
        },
      );
    }
    return renderMetrics(families);
  }

  function openRequests(): number {
    let n = 0;
    for (const ex of exchanges.values()) if (ex.open) n++;
    return n;
  }

  function stats(): EmulatorStats {
    return {
      simulatedMs: closing ? scheduler.now() : scheduler.realTimeMs(),
      openRequests: openRequests(),
      providers: Object.fromEntries(
        entries.map((e) => [
          e.provider.name,
          { ...e.counts, requests: { ...e.counts.requests } } satisfies ProviderCounts,
        ]),
      ),
      events: scheduler.events,
      lateEvents: scheduler.lateEvents,
      maxLagMs: scheduler.maxLagMs,
      internalErrors,
      keyedRequests,
    };
  }

  function close(): Promise<void> {
    if (closed) return closed;
    try {
      scheduler.runDue(); // the clock (and stats) up to the moment of closing
    } catch (e) {
      onError(e);
    }
    closing = true;
    stopTicker();
    closed = new Promise<void>((resolve) => {
      server.close(() => resolve());
      // End what is open: a 503 before the first byte, an error event inside a stream.
      for (const ex of [...exchanges.values()]) {
        if (!ex.open) continue;
        finishExchange(ex, 'shutdown', ex.sent);
        const res = ex.res;
        if (res.headersSent) res.end(ex.writer!.error(shuttingDown()));
        else {
          res.setHeader('connection', 'close');
          sendError(res, shuttingDown(), ex.dialect);
        }
      }
      exchanges.clear();
      live = [];
      scheduler.stop();
      server.closeIdleConnections();
      // Connections that stay open (a client still sending a body) are cut after a grace period.
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });
    return closed;
  }

  await listen(server, host, port);
  scheduler.start();
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    timeScale,
    stats,
    close,
  };
}

/** Splits `/p/{provider}[/replicas/{i}]/rest` (provider percent-decoded). */
function parsePath(
  url: string,
): { provider?: string; replica?: number; rest: string; query: string } | undefined {
  const q = url.indexOf('?');
  const pathname = q >= 0 ? url.slice(0, q) : url;
  const query = q >= 0 ? url.slice(q + 1) : '';
  const parts = pathname.split('/').filter((s) => s.length > 0);
  if (parts[0] !== 'p') return { rest: normalize(parts), query };
  if (parts.length < 2) return undefined;
  let provider: string;
  try {
    provider = decodeURIComponent(parts[1]!);
  } catch {
    return undefined;
  }
  if (parts[2] === 'replicas' && parts[3] !== undefined && /^\d+$/.test(parts[3])) {
    return { provider, replica: Number(parts[3]), rest: normalize(parts.slice(4)), query };
  }
  return { provider, rest: normalize(parts.slice(2)), query };
}

function normalize(parts: string[]): string {
  return `/${parts.join('/')}`;
}

/** The replica ids a provider has, for the 404 message: `0..3`, or `-` when it has no replicas. */
function replicaIds(replicas: ReplicaSet | undefined): string {
  if (!replicas || replicas.count === 0) return '-';
  return `${replicas.idAt(0)}..${replicas.idAt(replicas.count - 1)}`;
}

/** Prefix ids of cache keys start here, above every 31-bit system-message hash. */
const KEY_PREFIX_BASE = 2 ** 52;

/**
 * The prefix a request shares with others, as the simulator's requests carry it. A cache key
 * (`prompt_cache_key`, else the header `X-Floodgate-Session`) names a conversation: its prefix is
 * the whole prompt, as a simulated agent session's is, so the provider's prompt cache credits
 * what it stored for the key last time (the previous call's prompt). Without a key, a leading
 * system/developer message is the prefix (same text, same id); else there is none (-1).
 */
function prefixOf(
  chat: ChatRequest,
  sessionHeader: string | string[] | undefined,
): { prefixId: number; prefixTokens: number } {
  const key =
    chat.cacheKey ?? (typeof sessionHeader === 'string' && sessionHeader !== '' ? sessionHeader : undefined);
  if (key !== undefined) return { prefixId: KEY_PREFIX_BASE + hash52(key), prefixTokens: chat.promptTokens };
  if (chat.prefixTokens <= 0) return { prefixId: -1, prefixTokens: 0 };
  return { prefixId: hash32(chat.prefixText), prefixTokens: Math.min(chat.prefixTokens, chat.promptTokens) };
}

/**
 * A 52-bit hash of a string (cyrb53's mixing, truncated): with one id per conversation, 31 bits
 * would collide within a long run's sessions and credit one session with another's cache.
 */
function hash52(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 & 0xfffff) * 2 ** 32 + (h1 >>> 0);
}

/** FNV-1a of a string, as a non-negative 31-bit prefix id (same text, same id). */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 1;
}
