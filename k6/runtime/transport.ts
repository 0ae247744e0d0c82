/**
 * A transport sends one try of a request and reports what the client can see: its kind (the
 * scenario's retryable error names), when the first byte or content event came, the gaps between
 * streamed content events, and the token counts the server's `usage` reports. Two transports:
 * transport-stock.ts (k6/http, stock k6) and transport-sse.ts (xk6-sse). What an answer says
 * is read in its dialect (dialect.ts).
 */
import type { ApiDialect } from '../../src/providers/dialects.ts';

/**
 * What a try ended as (`ok`, or an error the client may retry: see ClientPlan.retries.on). The
 * dialect tells `overloaded` (Anthropic's 529, Gemini's 503 UNAVAILABLE) from other server
 * errors, and `quota` (OpenAI's 429 insufficient_quota) from a rate limit (k6/runtime/dialect.ts).
 */
export type TryKind =
  | 'ok'
  | 'rate-limited'
  | 'quota'
  | 'overloaded'
  | 'server-error'
  | 'timeout'
  | 'stream-cut'
  | 'bad-request'
  | 'network';

export interface TryRequest {
  /** The dialect the request speaks and its answer is read in. */
  api: ApiDialect;
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
  /** Prompt tokens the server read from its prompt cache. */
  cachedTokens: number | null;
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

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

/** One OpenAI chat-completions chunk: does it carry content, a finish_reason, usage? */
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
