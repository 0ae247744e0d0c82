/**
 * Each API dialect on the wire, inside k6 (a class's `api`, its provider's dialect): where a
 * request goes, the headers that authenticate it, its body, and how an answer is read: content
 * events (TTFT in sse mode), usage, and which outcome an error answer is. Paths, header names,
 * usage fields, statuses and error types come from the dialect table (src/providers/dialects.ts),
 * shared with the simulator and the emulator; only body shapes and stream event types are here.
 *
 * Streams, one JSON event per `data:` line (from the providers' API references):
 * - openai-chat: chunks with `choices[0].delta.content`, one with a `finish_reason`, a usage
 *   chunk (stream_options.include_usage), then `[DONE]`;
 * - openai-responses: `response.created` ... `response.output_text.delta` (content) ...
 *   `response.completed` (or `response.incomplete` at max_output_tokens) with `response.usage`;
 * - anthropic-messages: `message_start` (input usage), `content_block_start`, `ping`,
 *   `content_block_delta` with a `text_delta` (content), `content_block_stop`, `message_delta`
 *   (stop_reason, output usage), `message_stop`; an `error` event (e.g. `overloaded_error`) may
 *   come after the 200;
 * - gemini (`streamGenerateContent?alt=sse`): GenerateContentResponse chunks, text in
 *   `candidates[0].content.parts[].text`, `finishReason` and `usageMetadata` on the last.
 */
import { API_OUTCOMES, type ApiDialect, DIALECTS, type DialectSpec } from '../../src/providers/dialects.ts';
import { completionsUrl } from './env.ts';
import { classify, parseEvent, type TryKind } from './transport.ts';

/** The `anthropic-version` header every Messages request carries (the API's current version). */
export const ANTHROPIC_VERSION = '2023-06-01';
/** The Responses API refuses a `max_output_tokens` below 16. */
const RESPONSES_MIN_OUTPUT = 16;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * Token counts an answer reports, as its dialect's usage fields say them; null where it reports
 * none. `promptTokens` makes the whole prompt of them.
 */
export interface UsageCounts {
  /** The dialect's input count (Anthropic's excludes the cached part). */
  input: number | null;
  output: number | null;
  /** Prompt tokens read from a prompt cache. */
  cached: number | null;
  /** Prompt tokens written to the cache, where the dialect reports them apart (Anthropic). */
  written: number | null;
}

/** One streamed event, read. */
export interface StreamEvent {
  /** Carries generated text (the first one is the first token). */
  content: boolean;
  /** The answer is complete (a finish or stop reason, the stream's last event). */
  finished: boolean;
  usage: UsageCounts | null;
  /** The stream reports an error: what the try ended as. */
  error: TryKind | null;
}

/** A whole answer (a JSON body, or a stream read to its end), read. */
export interface ParsedAnswer extends UsageCounts {
  /** Content events (streams) or 1 (a whole response). */
  chunks: number;
  complete: boolean;
  error: TryKind | null;
}

/** Where a class's requests go: the target plus the dialect's path (`.../v1` or the full path may be given). */
export function dialectUrl(api: ApiDialect, target: string, model: string, stream: boolean): string {
  if (api === 'openai-chat') return completionsUrl(target);
  const spec = DIALECTS[api];
  const path = (stream ? spec.streamPath : spec.path).replace('{model}', encodeURIComponent(model));
  let base = target.replace(/\/+$/, '');
  const bare = path.split('?')[0]!;
  if (base.endsWith(bare)) base = base.slice(0, -bare.length);
  return `${base.replace(/\/v\d+(beta\d*)?$/, '')}${path}`;
}

/** Content-Type, the dialect's authentication (from FLOODGATE_API_KEY) and version headers, then FLOODGATE_HEADERS. */
export function dialectHeaders(
  api: ApiDialect,
  apiKey: string | null,
  extra: Record<string, string>,
): Record<string, string> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  for (const name of DIALECTS[api].requestHeaders) {
    if (name === 'anthropic-version') headers[name] = ANTHROPIC_VERSION;
    else if (!apiKey) continue;
    else if (name === 'authorization') headers['Authorization'] = `Bearer ${apiKey}`;
    else headers[name] = apiKey;
  }
  for (const [k, v] of Object.entries(extra)) headers[k] = v;
  return headers;
}

/** What a request body says, whatever the dialect. */
export interface BodyParts {
  model: string;
  messages: readonly ChatMessage[];
  maxTokens: number;
  stream: boolean;
  /** A session's id: OpenAI's `prompt_cache_key`; where caching is asked for, the conversation is marked cacheable. */
  cacheKey: string | undefined;
  bodyExtra: Record<string, unknown>;
}

/** The request body (JSON text) in the dialect; FLOODGATE_BODY's fields are merged last. */
export function dialectBody(api: ApiDialect, b: BodyParts): string {
  const body = bodyObject(api, b);
  Object.assign(body, b.bodyExtra);
  return JSON.stringify(body);
}

function bodyObject(api: ApiDialect, b: BodyParts): Record<string, unknown> {
  const system = b.messages.filter((m) => m.role === 'system').map((m) => m.content);
  const turns = b.messages.filter((m) => m.role !== 'system');
  switch (api) {
    case 'openai-chat': {
      const body: Record<string, unknown> = {
        model: b.model,
        messages: b.messages,
        max_tokens: b.maxTokens,
        stream: b.stream,
      };
      if (b.stream) body['stream_options'] = { include_usage: true };
      if (b.cacheKey !== undefined) body['prompt_cache_key'] = b.cacheKey;
      return body;
    }
    case 'openai-responses': {
      const body: Record<string, unknown> = {
        model: b.model,
        input: b.messages,
        max_output_tokens: Math.max(RESPONSES_MIN_OUTPUT, b.maxTokens),
        stream: b.stream,
      };
      if (b.cacheKey !== undefined) body['prompt_cache_key'] = b.cacheKey;
      return body;
    }
    case 'anthropic-messages': {
      // Caching is asked for per request (cache_control): the system prefix, and a session's
      // conversation so far, are marked so that the next call can read them.
      const ask = !DIALECTS[api].cache.automatic;
      const mark = { type: 'ephemeral' };
      const last = turns.length - 1;
      const body: Record<string, unknown> = {
        model: b.model,
        max_tokens: b.maxTokens,
        messages: turns.map((m, i) =>
          ask && b.cacheKey !== undefined && i === last
            ? { role: m.role, content: [{ type: 'text', text: m.content, cache_control: mark }] }
            : { role: m.role, content: m.content },
        ),
        stream: b.stream,
      };
      if (system.length > 0)
        body['system'] = ask
          ? [{ type: 'text', text: system.join('\n'), cache_control: mark }]
          : system.join('\n');
      return body;
    }
    case 'gemini': {
      const body: Record<string, unknown> = {
        contents: turns.map((m) => ({
          role: m.role === 'assistant' ? 'model' : 'user',
          parts: [{ text: m.content }],
        })),
        generationConfig: { maxOutputTokens: b.maxTokens },
      };
      if (system.length > 0) body['systemInstruction'] = { parts: [{ text: system.join('\n') }] };
      return body;
    }
  }
}

/**
 * What an error answer is, from its status and body (the error's type and code) looked up in
 * the dialect's errors: a 429 `insufficient_quota` is quota, not a rate limit; a 529
 * `overloaded_error` or Gemini's 503 `UNAVAILABLE` is an overload, OpenAI's 503 a server error.
 * Statuses the table does not list are classified by their class (429, 5xx, 4xx).
 */
export function errorKind(api: ApiDialect, status: number, body: string): TryKind {
  const { type, code } = errorFields(parseJson(body));
  return fromTable(DIALECTS[api], status, type, code) ?? classify(status, false, false);
}

/** The best-matching error of the table (status, then type, then code); null when none has the status. */
function fromTable(
  spec: DialectSpec,
  status: number,
  type: string | null,
  code: string | null,
): TryKind | null {
  let best: TryKind | null = null;
  let bestScore = -1;
  for (const outcome of API_OUTCOMES) {
    const e = spec.errors[outcome];
    if (e.httpStatus !== status) continue;
    const score = (type !== null && e.type === type ? 2 : 0) + (code !== null && e.code === code ? 1 : 0);
    // Ties keep the earlier outcome: a bare 429 is a rate limit, not quota.
    if (score > bestScore) {
      bestScore = score;
      best = outcome === 'quota' ? 'quota' : e.kind;
    }
  }
  return best;
}

/** An error reported inside a 200 stream, by its type or code alone; a server error when unknown. */
function streamErrorKind(spec: DialectSpec, name: string | null): TryKind {
  for (const outcome of API_OUTCOMES) {
    const e = spec.errors[outcome];
    if (name !== null && (e.type === name || e.code === name)) return outcome === 'quota' ? 'quota' : e.kind;
  }
  return 'server-error';
}

/** The error type and code of an error body: OpenAI and Gemini `{error: {...}}`, Anthropic `{type: 'error', error: {...}}`. */
function errorFields(body: unknown): { type: string | null; code: string | null } {
  const error = field(body, 'error');
  // Gemini's error names its google.rpc code in `status` (its `code` is the HTTP status).
  const type = text(field(error, 'type')) ?? text(field(error, 'status'));
  return { type, code: text(field(error, 'code')) };
}

/** Reads one streamed event (the `data:` text) of the dialect. */
export function streamEvent(api: ApiDialect, data: string): StreamEvent {
  if (api === 'openai-chat') {
    // The chat parser reads only the chunks that carry usage or a finish_reason as JSON.
    const e = parseEvent(data);
    return {
      content: e.content,
      finished: e.finished,
      usage: e.usage ? usageOf(DIALECTS[api], e.usage) : null,
      error: null,
    };
  }
  const spec = DIALECTS[api];
  const event = parseJson(data);
  const none: StreamEvent = { content: false, finished: false, usage: null, error: null };
  if (event === undefined) return none;
  if (api === 'gemini') {
    if (field(event, 'error') !== undefined) return { ...none, error: errorFromBody(spec, event) };
    const candidate = first(field(event, 'candidates'));
    const parts = field(field(candidate, 'content'), 'parts');
    return {
      content: Array.isArray(parts) && parts.some((p) => (text(field(p, 'text')) ?? '') !== ''),
      finished: text(field(candidate, 'finishReason')) !== null,
      usage: usageIn(spec, event),
      error: null,
    };
  }
  const type = text(field(event, 'type'));
  if (api === 'openai-responses') {
    switch (type) {
      case 'response.output_text.delta':
        return { ...none, content: (text(field(event, 'delta')) ?? '') !== '' };
      case 'response.completed':
      case 'response.incomplete':
        return { ...none, finished: true, usage: usageIn(spec, field(event, 'response')) };
      case 'response.failed':
        return {
          ...none,
          error: streamErrorKind(spec, text(field(field(field(event, 'response'), 'error'), 'code'))),
        };
      case 'error':
        return { ...none, error: streamErrorKind(spec, text(field(event, 'code'))) };
      default:
        return none;
    }
  }
  // anthropic-messages
  switch (type) {
    case 'message_start':
      return { ...none, usage: usageIn(spec, field(event, 'message')) };
    case 'content_block_delta': {
      const delta = field(event, 'delta');
      return {
        ...none,
        content: text(field(delta, 'type')) === 'text_delta' && (text(field(delta, 'text')) ?? '') !== '',
      };
    }
    case 'message_delta':
      return { ...none, usage: usageIn(spec, event) };
    case 'message_stop':
      return { ...none, finished: true };
    case 'error':
      return { ...none, error: streamErrorKind(spec, text(field(field(event, 'error'), 'type'))) };
    default:
      return none;
  }
}

function errorFromBody(spec: DialectSpec, body: unknown): TryKind {
  return streamErrorKind(spec, errorFields(body).type);
}

/**
 * Reads a whole 2xx answer: a JSON body, or for a stream its `data:` lines (as k6/http returns
 * them in stock mode). Usage fields read later replace earlier ones (Anthropic reports input
 * tokens at the start and output tokens at the end).
 */
export function parseAnswer(api: ApiDialect, body: string, stream: boolean): ParsedAnswer {
  const parsed: ParsedAnswer = { ...noUsage(), chunks: 0, complete: false, error: null };
  if (!stream) {
    const r = parseJson(body);
    if (r === undefined) return parsed;
    const usage = usageIn(DIALECTS[api], r);
    if (usage) mergeUsage(parsed, usage);
    return { ...parsed, chunks: 1, complete: wholeAnswer(api, r) };
  }
  for (const line of body.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      parsed.complete = true;
      continue;
    }
    const e = streamEvent(api, data);
    if (e.content) parsed.chunks++;
    if (e.finished) parsed.complete = true;
    if (e.usage) mergeUsage(parsed, e.usage);
    if (e.error && parsed.error === null) parsed.error = e.error;
  }
  return parsed;
}

export function noUsage(): UsageCounts {
  return { input: null, output: null, cached: null, written: null };
}

/** Copies the counts `from` reports onto `into` (a stream's later counts are its latest). */
export function mergeUsage(into: UsageCounts, from: UsageCounts): void {
  if (from.input !== null) into.input = from.input;
  if (from.output !== null) into.output = from.output;
  if (from.cached !== null) into.cached = from.cached;
  if (from.written !== null) into.written = from.written;
}

/**
 * The whole prompt, cached part included. Anthropic's `input_tokens` are only the tokens after
 * the last cache breakpoint (the dialect reports cache writes apart): its prompt is input + cache
 * reads + cache writes. OpenAI's and Gemini's prompt counts include the cached part.
 */
export function promptTokens(api: ApiDialect, u: UsageCounts): number | null {
  if (u.input === null || DIALECTS[api].usage.cacheWrite === undefined) return u.input;
  return u.input + (u.cached ?? 0) + (u.written ?? 0);
}

/** A non-streamed body holds the answer: chat `choices`, a Responses `output`, Anthropic `content`, Gemini `candidates`. */
function wholeAnswer(api: ApiDialect, r: unknown): boolean {
  const key = {
    'openai-chat': 'choices',
    'openai-responses': 'output',
    'anthropic-messages': 'content',
    gemini: 'candidates',
  }[api];
  return Array.isArray(field(r, key));
}

/** The usage block of `holder` (at the dialect's usage path), or null. */
function usageIn(spec: DialectSpec, holder: unknown): UsageCounts | null {
  const usage = dig(holder, spec.usage.path);
  return usage === undefined ? null : usageOf(spec, usage);
}

/** The dialect's usage fields as counts. */
function usageOf(spec: DialectSpec, usage: unknown): UsageCounts {
  const f = spec.usage;
  return {
    input: count(dig(usage, f.input)),
    output: count(dig(usage, f.output)),
    cached: count(dig(usage, f.cachedInput)),
    written: f.cacheWrite === undefined ? null : count(dig(usage, f.cacheWrite)),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `o.key` of a plain object (never an inherited property), else undefined. */
function field(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null && Object.hasOwn(o, key)
    ? (o as Record<string, unknown>)[key]
    : undefined;
}

/** A dotted path (`prompt_tokens_details.cached_tokens`). */
function dig(o: unknown, path: string): unknown {
  let at = o;
  for (const key of path.split('.')) at = field(at, key);
  return at;
}

function first(list: unknown): unknown {
  return Array.isArray(list) ? list[0] : undefined;
}

function text(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null;
}
