/**
 * The OpenAI chat-completions wire format, as the emulator speaks it: reading a request body,
 * and writing completions, stream chunks (server-sent events), model lists and errors.
 *
 * Token accounting (documented in docs/guide/emulator.md):
 * - prompt tokens are estimated from the text of the messages, about 4 characters per token
 *   (`ceil(chars / 4)`, at least 1), as OpenAI's rule of thumb for English says;
 * - output tokens are `max_completion_tokens`, else `max_tokens`, else the request class's
 *   output-token distribution (header `x-floodgate-class`), else 128: the emulated model always
 *   writes exactly that many tokens unless a fault cuts it short; a maximum above the output cap
 *   (`EmulatorLimits.maxOutputTokens`) is refused, a class's draw above it is cut to it;
 * - the content is one short English word per token (" the quick brown fox ..."), so a response
 *   of n tokens has n words and about 4n characters;
 * - `usage.prompt_tokens_details.cached_tokens` is what the provider's prompt cache served.
 */

/** A chat-completions request reduced to what the provider models need. */
export interface ChatRequest {
  /** The `model` field, if any. */
  model: string | undefined;
  promptTokens: number;
  /** Requested output length (`max_completion_tokens` or `max_tokens`), if any. */
  maxTokens: number | undefined;
  stream: boolean;
  /** `stream_options.include_usage`: a usage chunk before `data: [DONE]`. */
  includeUsage: boolean;
  /**
   * Text of a leading system (or developer) message followed by more messages: a shared prefix
   * a prefix cache can reuse. Empty when there is none.
   */
  prefixText: string;
  prefixTokens: number;
  /** The body's `prompt_cache_key`, if any: requests sharing it share a prompt cache entry. */
  cacheKey: string | undefined;
}

/** An error in OpenAI's shape: `{ error: { message, type, param, code } }` with its HTTP status. */
export interface WireError {
  status: number;
  message: string;
  type: string;
  param: string | null;
  code: string | null;
  /** Seconds a rate-limited client should wait (Gemini puts it in the body, as a RetryInfo). */
  retryAfterS?: number;
}

/** Characters per token for prompt estimates (OpenAI's rule of thumb for English text). */
export const CHARS_PER_TOKEN = 4;

/** Prompt tokens a text of this many characters counts as: `ceil(chars / 4)`. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

export function invalid(message: string, param: string | null, code: string | null = null): WireError {
  return { status: 400, message, type: 'invalid_request_error', param, code };
}

/** Longest `model` accepted: it is echoed in every stream event and in error messages. */
export const MAX_MODEL_CHARS = 256;
/** Most completions one request may ask for (`n`), as OpenAI's API allows. */
export const MAX_CHOICES = 128;

/** What a JSON value is, in OpenAI's words ("a string", "an integer"), never the value itself. */
export function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'a boolean';
    case 'number':
      return Number.isInteger(v) ? 'an integer' : 'a decimal number';
    default:
      return 'an object';
  }
}

export function wrongType(param: string, expected: string, v: unknown): WireError {
  return invalid(
    `Invalid type for '${param}': expected ${expected}, but got ${kindOf(v)} instead.`,
    param,
    'invalid_type',
  );
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An optional integer parameter in `min..max` (absent or null: undefined). `param` names it in
 * the error; past `max`, `tooLarge` words the error when given.
 */
export function intParam(
  v: unknown,
  param: string,
  min: number,
  max: number,
  tooLarge?: (v: number) => string,
): number | WireError | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || (Number.isFinite(v) && !Number.isInteger(v)))
    return wrongType(param, 'an integer', v);
  if (v < min)
    return invalid(
      `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${v} instead.`,
      param,
      'integer_below_min_value',
    );
  if (v > max)
    return invalid(
      tooLarge?.(v) ??
        `Invalid '${param}': integer above maximum value. Expected a value <= ${max}, but got ${v} instead.`,
      param,
      'integer_above_max_value',
    );
  return v;
}

export function boolParam(v: unknown, param: string): boolean | WireError | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'boolean' ? v : wrongType(param, 'a boolean', v);
}

/**
 * Characters of text in `messages`, or the error for a message that is not an object or whose
 * `role` or `content` has the wrong type. Content is a string, an array of parts (objects; a
 * part's `text`, if any, a string), or null.
 */
function messageChars(messages: readonly unknown[]): number | WireError {
  let chars = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const at = `messages[${i}]`;
    if (!isObject(m)) return wrongType(at, 'an object', m);
    if (m['role'] !== undefined && typeof m['role'] !== 'string')
      return wrongType(`${at}.role`, 'a string', m['role']);
    const content = m['content'];
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) {
      for (let j = 0; j < content.length; j++) {
        const part: unknown = content[j];
        if (!isObject(part)) return wrongType(`${at}.content[${j}]`, 'an object', part);
        const text = part['text'];
        if (text === undefined || text === null) continue;
        if (typeof text !== 'string') return wrongType(`${at}.content[${j}].text`, 'a string', text);
        chars += text.length;
      }
    } else if (content !== undefined && content !== null)
      return wrongType(`${at}.content`, 'a string or an array of content parts', content);
  }
  return chars;
}

/** The text of a (validated) message content. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p as { text?: unknown }).text ?? '').join('');
  return '';
}

/**
 * Reads a parsed JSON body as a chat-completions request. Returns a `WireError` (400,
 * invalid_request_error, naming the parameter) for what a real API would refuse: no `messages`,
 * a parameter of the wrong type, an output length below 1 or above `maxOutputTokens`, `n`
 * outside 1..128, a `model` longer than 256 characters. Errors quote no value from the body but
 * numbers, so an answer stays short whatever the body holds.
 */
export function parseChatRequest(body: unknown, maxOutputTokens: number): ChatRequest | WireError {
  if (!isObject(body)) return invalid('The request body must be a JSON object.', null);
  const messages = body['messages'];
  if (messages === undefined || messages === null)
    return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  if (!Array.isArray(messages)) return wrongType('messages', 'an array', messages);
  if (messages.length === 0)
    return invalid(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      'messages',
      'empty_array',
    );
  const chars = messageChars(messages);
  if (isWireError(chars)) return chars;
  const model = body['model'];
  if (model !== undefined && model !== null) {
    if (typeof model !== 'string') return wrongType('model', 'a string', model);
    if (model.length > MAX_MODEL_CHARS)
      return invalid(
        `Invalid 'model': string too long. Expected a string with maximum length ${MAX_MODEL_CHARS}, but got a string with length ${model.length} instead.`,
        'model',
        'string_above_max_length',
      );
  }
  let maxTokens: number | undefined;
  for (const key of ['max_completion_tokens', 'max_tokens'] as const) {
    const v = intParam(
      body[key],
      key,
      1,
      maxOutputTokens,
      (n) =>
        `${key} is too large: ${n}. This model supports at most ${maxOutputTokens} completion tokens, whereas you provided ${n}.`,
    );
    if (isWireError(v)) return v;
    maxTokens ??= v;
  }
  const n = intParam(body['n'], 'n', 1, MAX_CHOICES);
  if (isWireError(n)) return n;
  const cacheKey = body['prompt_cache_key'];
  if (cacheKey !== undefined && cacheKey !== null && typeof cacheKey !== 'string')
    return invalid("Invalid type for 'prompt_cache_key': expected a string.", 'prompt_cache_key');
  const stream = boolParam(body['stream'], 'stream');
  if (isWireError(stream)) return stream;
  const options = body['stream_options'];
  let includeUsage: boolean | undefined;
  if (options !== undefined && options !== null) {
    if (!isObject(options)) return wrongType('stream_options', 'an object', options);
    const v = boolParam(options['include_usage'], 'stream_options.include_usage');
    if (isWireError(v)) return v;
    includeUsage = v;
  }
  const first = messages[0] as { role?: unknown; content?: unknown };
  const hasPrefix = messages.length > 1 && (first.role === 'system' || first.role === 'developer');
  const prefixText = hasPrefix ? contentText(first.content) : '';
  return {
    model: typeof model === 'string' ? model : undefined,
    promptTokens: Math.max(1, estimateTokens(chars)),
    maxTokens,
    stream: stream === true,
    includeUsage: stream === true && includeUsage === true,
    prefixText,
    prefixTokens: prefixText.length > 0 ? estimateTokens(prefixText.length) : 0,
    // An empty key is no key (nothing to tell conversations apart by).
    cacheKey: typeof cacheKey === 'string' && cacheKey !== '' ? cacheKey : undefined,
  };
}

/** Is this a `WireError` (as opposed to a parsed request)? */
export function isWireError(x: unknown): x is WireError {
  return typeof x === 'object' && x !== null && 'status' in x && 'type' in x;
}

/** `{ error: { message, type, param, code } }` */
export function errorBody(e: WireError): string {
  return JSON.stringify({ error: { message: e.message, type: e.type, param: e.param, code: e.code } });
}

// Content ------------------------------------------------------------------------------------

/** One word per token; each is a single token in common tokenizers, about 4 characters. */
const WORDS = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog', 'and', 'runs', 'away'];
const TOKENS = WORDS.map((w, i) => (i === 0 ? w : ` ${w}`));
/** Token i of every response: "the", " quick", " brown", ... (then " the" from the second round on). */
export function tokenText(i: number): string {
  if (i === 0) return TOKENS[0]!;
  const j = i % TOKENS.length;
  return j === 0 ? ` ${WORDS[0]}` : TOKENS[j]!;
}
const TOKEN_JSON = Array.from({ length: TOKENS.length + 1 }, (_, i) => JSON.stringify(tokenText(i)));
/** `JSON.stringify(tokenText(i))`, precomputed. */
function tokenJson(i: number): string {
  if (i === 0) return TOKEN_JSON[0]!;
  const j = i % TOKENS.length;
  return TOKEN_JSON[j === 0 ? TOKENS.length : j]!;
}

/** Characters of tokens 1..12 (one round of the words, "the" written " the"). */
const ROUND_CHARS = TOKENS.reduce((sum, t) => sum + t.length, 0) + 1;

/** Tokens `from` .. `to - 1` of a response's content. */
export function contentSlice(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += tokenText(i);
  return s;
}

/** Characters (and bytes: the words are ASCII) of the content of a response of `n` tokens. */
export function contentLength(n: number): number {
  if (n <= 0) return 0;
  const rounds = Math.floor((n - 1) / TOKENS.length);
  let chars = TOKENS[0]!.length + rounds * ROUND_CHARS;
  for (let i = 1 + rounds * TOKENS.length; i < n; i++) chars += tokenText(i).length;
  return chars;
}

/**
 * Tokens per socket write when output goes out in bulk (a queue server's whole response, the end
 * of a stream): about 5 KiB of content or 180 KiB of stream events, so no string grows with the
 * requested length.
 */
export const TOKENS_PER_WRITE = 1024;

/** `render(from, to)` for consecutive slices of `from` .. `to - 1`, at most `TOKENS_PER_WRITE` each. */
export function* tokenBatches(
  from: number,
  to: number,
  render: (from: number, to: number) => string,
): Generator<string> {
  for (let i = from; i < to; i += TOKENS_PER_WRITE) yield render(i, Math.min(to, i + TOKENS_PER_WRITE));
}

// Responses ----------------------------------------------------------------------------------

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** OpenAI's place for the prompt tokens served from the prompt cache (0 on a miss). */
  prompt_tokens_details: { cached_tokens: number };
}

export function usageOf(promptTokens: number, completionTokens: number, cachedTokens = 0): Usage {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
}

/**
 * A whole (non-streaming) `chat.completion` object, in parts of bounded size, and its length in
 * bytes (for `content-length`): the head up to the content, the content in batches, the tail.
 */
export function completionParts(
  id: string,
  created: number,
  model: string,
  finishReason: 'stop' | 'length',
  usage: Usage,
): { bytes: number; parts: Iterable<string> } {
  const head =
    `{"id":${JSON.stringify(id)},"object":"chat.completion","created":${created},` +
    `"model":${JSON.stringify(model)},"choices":[{"index":0,"message":{"role":"assistant","content":"`;
  const tail =
    `","refusal":null},"logprobs":null,"finish_reason":"${finishReason}"}],` +
    `"usage":${JSON.stringify(usage)}}`;
  const n = usage.completion_tokens;
  return {
    bytes: Buffer.byteLength(head) + contentLength(n) + Buffer.byteLength(tail),
    parts: (function* () {
      yield head;
      yield* tokenBatches(0, n, contentSlice);
      yield tail;
    })(),
  };
}

/**
 * Writes the server-sent events of one streamed completion. Every token is its own
 * `chat.completion.chunk` event (clients that count chunks count tokens); several events can go
 * out in one socket write. The chunk text is built from precomputed halves, so a token costs one
 * string concatenation.
 *
 * Sequence: first token `{"delta":{"role":"assistant","content":"the"}}`, then
 * `{"delta":{"content":" quick"}}`..., then `{"delta":{},"finish_reason":"stop"}`, then (with
 * `include_usage`) `{"choices":[],"usage":{...}}`, then `data: [DONE]`. With `include_usage`
 * every other chunk carries `"usage":null`, as OpenAI's are.
 */
export class ChunkWriter {
  /** `data: {"id":...,"model":...,"choices":` */
  private readonly base: string;
  private readonly head: string;
  private readonly tail: string;
  private readonly includeUsage: boolean;
  private readonly id: string;
  private readonly created: number;
  private readonly model: string;

  constructor(id: string, created: number, model: string, includeUsage: boolean) {
    this.id = id;
    this.created = created;
    this.model = model;
    this.includeUsage = includeUsage;
    this.base = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":`;
    this.head = `${this.base}[{"index":0,"delta":{`;
    this.tail = `},"logprobs":null,"finish_reason":null}]${includeUsage ? ',"usage":null' : ''}}\n\n`;
  }

  /** Events for tokens `from` .. `to - 1`. */
  tokens(from: number, to: number): string {
    let s = '';
    for (let i = from; i < to; i++) {
      s += this.head;
      s += i === 0 ? `"role":"assistant","content":${tokenJson(0)}` : `"content":${tokenJson(i)}`;
      s += this.tail;
    }
    return s;
  }

  /** The closing events: finish reason, usage (if asked for), `[DONE]`. */
  finish(finishReason: 'stop' | 'length', usage: Usage): string {
    let s = `${this.base}[{"index":0,"delta":{},"logprobs":null,"finish_reason":"${finishReason}"}]${this.includeUsage ? ',"usage":null' : ''}}\n\n`;
    if (this.includeUsage) {
      s += `data: ${JSON.stringify({
        id: this.id,
        object: 'chat.completion.chunk',
        created: this.created,
        model: this.model,
        choices: [],
        usage,
      })}\n\n`;
    }
    return `${s}data: [DONE]\n\n`;
  }

  /** An error event in the middle of a stream (OpenAI's clients raise it as an APIError). */
  error(e: WireError): string {
    return `data: ${errorBody(e)}\n\n`;
  }
}

/** `GET /v1/models`: `{ object: 'list', data: [{ id, object: 'model', created, owned_by }] }` */
export function modelsBody(models: readonly { id: string; ownedBy: string }[], created: number): string {
  return JSON.stringify({
    object: 'list',
    data: models.map((m) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy })),
  });
}
