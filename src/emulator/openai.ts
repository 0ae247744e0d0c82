/**
 * The OpenAI chat-completions wire format, as the emulator speaks it: reading a request body,
 * and writing completions, stream chunks (server-sent events), model lists and errors.
 *
 * Token accounting (documented in docs/guide/emulator.md):
 * - prompt tokens are estimated from the text of the messages, about 4 characters per token
 *   (`ceil(chars / 4)`, at least 1), as OpenAI's rule of thumb for English says;
 * - output tokens are `max_completion_tokens`, else `max_tokens`, else the request class's
 *   output-token distribution (header `x-floodgate-class`), else 128: the emulated model always
 *   writes exactly that many tokens unless a fault cuts it short;
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
}

/** Characters per token for prompt estimates (OpenAI's rule of thumb for English text). */
export const CHARS_PER_TOKEN = 4;

/** Prompt tokens a text of this many characters counts as: `ceil(chars / 4)`. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

function invalid(message: string, param: string | null, code: string | null = null): WireError {
  return { status: 400, message, type: 'invalid_request_error', param, code };
}

/** Characters of text in a message's `content`: a string, or an array of parts with `text`. */
function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (Array.isArray(content)) {
    let n = 0;
    for (const part of content) {
      const text = (part as { text?: unknown } | null)?.text;
      if (typeof text === 'string') n += text.length;
    }
    return n;
  }
  return 0;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (p as { text?: unknown } | null)?.text ?? '').join('');
  return '';
}

/**
 * Reads a parsed JSON body as a chat-completions request. Returns a `WireError` (400,
 * invalid_request_error, naming the parameter) for what a real API would refuse: no `messages`,
 * a non-positive or non-integer `max_tokens`.
 */
export function parseChatRequest(body: unknown): ChatRequest | WireError {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return invalid('The request body must be a JSON object.', null);
  const b = body as Record<string, unknown>;
  const messages = b['messages'];
  if (!Array.isArray(messages) || messages.length === 0)
    return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  let chars = 0;
  for (const m of messages) {
    if (typeof m !== 'object' || m === null)
      return invalid("Invalid type for 'messages': expected an array of objects.", 'messages');
    chars += contentChars((m as { content?: unknown }).content);
  }
  const model = b['model'];
  if (model !== undefined && typeof model !== 'string')
    return invalid("Invalid type for 'model': expected a string.", 'model');
  let maxTokens: number | undefined;
  for (const key of ['max_completion_tokens', 'max_tokens'] as const) {
    const v = b[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      return invalid(`Invalid '${key}': expected an integer of at least 1, got ${JSON.stringify(v)}.`, key);
    maxTokens ??= v;
  }
  const cacheKey = b['prompt_cache_key'];
  if (cacheKey !== undefined && cacheKey !== null && typeof cacheKey !== 'string')
    return invalid("Invalid type for 'prompt_cache_key': expected a string.", 'prompt_cache_key');
  const stream = b['stream'] === true;
  const options = b['stream_options'] as { include_usage?: unknown } | null | undefined;
  const first = messages[0] as { role?: unknown; content?: unknown };
  const hasPrefix = messages.length > 1 && (first.role === 'system' || first.role === 'developer');
  const prefixText = hasPrefix ? contentText(first.content) : '';
  return {
    model,
    promptTokens: Math.max(1, estimateTokens(chars)),
    maxTokens,
    stream,
    includeUsage: stream && options?.include_usage === true,
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

/** The content of a response of `n` tokens. */
export function contentOf(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += tokenText(i);
  return s;
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

/** A whole (non-streaming) `chat.completion` object. */
export function completionBody(
  id: string,
  created: number,
  model: string,
  finishReason: 'stop' | 'length',
  usage: Usage,
): string {
  return JSON.stringify({
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: contentOf(usage.completion_tokens), refusal: null },
        logprobs: null,
        finish_reason: finishReason,
      },
    ],
    usage,
  });
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
