/**
 * A transport sends one try of a request and reports what the client can see: its kind (the
 * scenario's retryable error names), when the first byte or content event came, the gaps between
 * streamed content events, and the token counts the server's `usage` reports. Two transports:
 * transport-stock.ts (k6/http, stock k6) and transport-sse.ts (xk6-sse).
 */

/** What a try ended as (`ok`, or an error the client may retry: see ClientPlan.retries.on). */
export type TryKind =
  | 'ok'
  | 'rate-limited'
  | 'server-error'
  | 'timeout'
  | 'stream-cut'
  | 'bad-request'
  | 'network';

export interface TryRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Cut the try after this long (ms); null: wait as long as the server takes. */
  timeoutMs: number | null;
  stream: boolean;
  tags: Record<string, string>;
}

export interface TryResult {
  kind: TryKind;
  /** HTTP status (0 when no response came). */
  status: number;
  /** From the start of the try to the first byte (stock) or first content event (sse), ms. */
  firstTokenMs: number | null;
  /** From the start of the try to its end, ms. */
  totalMs: number;
  /** Gaps between consecutive content events (sse only), ms. */
  gapsMs: number[];
  /** Content events or chunks seen. */
  chunks: number;
  inputTokens: number | null;
  outputTokens: number | null;
  /** The Retry-After of a 429, ms. */
  retryAfterMs: number | null;
  /** The error text of a failed try, for logs. */
  error: string;
}

export type Transport = (req: TryRequest) => TryResult;

/** The kind of a try from its status and whether its stream ended properly. */
export function classify(status: number, timedOut: boolean, complete: boolean): TryKind {
  if (timedOut) return 'timeout';
  if (status === 0) return 'network';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server-error';
  if (status >= 400) return 'bad-request';
  if (status >= 200 && status < 300) return complete ? 'ok' : 'stream-cut';
  return 'bad-request';
}

/** Retry-After in seconds (the form APIs use) as ms; null when absent or a date. */
export function retryAfterMs(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const s = Number(value);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : null;
}

export interface ParsedCompletion {
  inputTokens: number | null;
  outputTokens: number | null;
  /** Content chunks (streams) or 1 (a whole response with content). */
  chunks: number;
  /** A whole JSON response, or a stream that reached `[DONE]` or a finish_reason. */
  complete: boolean;
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

/**
 * Reads an OpenAI chat-completions response body: a JSON object, or for `stream: true` the
 * server-sent events (`data: {...}` lines, ending with `data: [DONE]`). Only the chunks that
 * carry `usage` or `finish_reason` are parsed as JSON; the rest are counted.
 */
export function parseCompletion(body: string, stream: boolean): ParsedCompletion {
  if (!stream) {
    try {
      const r = JSON.parse(body) as { usage?: Usage; choices?: unknown[] };
      return {
        inputTokens: r.usage?.prompt_tokens ?? null,
        outputTokens: r.usage?.completion_tokens ?? null,
        chunks: 1,
        complete: Array.isArray(r.choices),
      };
    } catch {
      return { inputTokens: null, outputTokens: null, chunks: 0, complete: false };
    }
  }
  let chunks = 0;
  let complete = false;
  let usage: Usage | undefined;
  for (const line of body.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      complete = true;
      continue;
    }
    const event = parseEvent(data);
    if (event.content) chunks++;
    if (event.finished) complete = true;
    if (event.usage) usage = event.usage;
  }
  return {
    inputTokens: usage?.prompt_tokens ?? null,
    outputTokens: usage?.completion_tokens ?? null,
    chunks,
    complete,
  };
}

/** One streamed chunk: does it carry content, a finish_reason, usage? */
export function parseEvent(data: string): { content: boolean; finished: boolean; usage?: Usage } {
  const hasContent = /"content"\s*:\s*"[^"]/.test(data);
  if (!data.includes('"usage"') && !/"finish_reason"\s*:\s*"/.test(data))
    return { content: hasContent, finished: false };
  try {
    const chunk = JSON.parse(data) as { usage?: Usage | null; choices?: { finish_reason?: string | null }[] };
    const finished = chunk.choices?.some((c) => typeof c.finish_reason === 'string') ?? false;
    return chunk.usage
      ? { content: hasContent, finished, usage: chunk.usage }
      : { content: hasContent, finished };
  } catch {
    return { content: hasContent, finished: false };
  }
}
