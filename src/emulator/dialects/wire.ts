/**
 * What every wire dialect of the emulator provides (src/providers/dialects.ts lists the
 * dialects): a request parser, the answer's body, the stream's events and the error body. The
 * timing is the server's, shared by all: it decides when tokens are due and asks the dialect only
 * how to write them, so every dialect streams at the same modelled token times.
 */
import type { ApiDialect } from '../../providers/dialects.ts';
import { type ChatRequest, contentLength, contentSlice, tokenBatches, type WireError } from '../openai.ts';

/** A request as the server needs it, whatever its dialect. */
export interface DialectRequest extends ChatRequest {
  /**
   * The output maximum is only a cap (Anthropic's `max_tokens` is required): a request class's
   * draw below it is the length; without a class the model writes the maximum. Otherwise a
   * maximum is the length, as the OpenAI dialect has always served it.
   */
  maxIsCap: boolean;
  /**
   * Gemini's `streamGenerateContent` without `alt=sse`: the stream is one JSON array written
   * element by element, not server-sent events.
   */
  arrayStream?: boolean;
}

/** What the route says before the body is read (Gemini names the model and streaming in the path). */
export interface RouteFacts {
  readonly model?: string | undefined;
  readonly stream?: boolean | undefined;
  /** False: a Gemini stream asked for without `alt=sse` (a JSON array, not server-sent events). */
  readonly sse?: boolean | undefined;
}

/** The counts an answer reports, in the emulator's terms (each dialect names them its own way). */
export interface Tally {
  /** `length`: the output stopped at the request's maximum. */
  readonly finish: 'stop' | 'length';
  /** All prompt tokens, cached or not. */
  readonly promptTokens: number;
  readonly outputTokens: number;
  /** Of the prompt, tokens read from the provider's prompt cache. */
  readonly cachedTokens: number;
  /** Of the prompt, tokens written to the cache where the dialect bills writes (Anthropic). */
  readonly cacheWriteTokens: number;
}

/** The identity of one answer. */
export interface AnswerId {
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
}

/** The events of one streamed answer. */
export interface StreamWriter {
  /** The stream's content type when not server-sent events. */
  readonly contentType?: string;
  /** Events before the first token, written with the response headers ('' when none). */
  start(t: Tally): string;
  /** Events for tokens `from` .. `to - 1`. */
  tokens(from: number, to: number): string;
  /** The closing events, in parts of bounded size. */
  finish(t: Tally): Iterable<string>;
  /** An error event in the middle of the stream. */
  error(e: WireError): string;
}

export interface WireDialect {
  readonly api: ApiDialect;
  /** Prefix of answer ids (`chatcmpl-`, `resp_`, `msg_`). */
  readonly idPrefix: string;
  parse(body: unknown, maxOutputTokens: number, route: RouteFacts): DialectRequest | WireError;
  /** A whole (non-streaming) answer in parts of bounded size, and its length in bytes. */
  body(id: AnswerId, t: Tally): { bytes: number; parts: Iterable<string> };
  stream(id: AnswerId, req: DialectRequest): StreamWriter;
  /** An error in the dialect's shape (a `WireError` carries OpenAI's fields; each dialect maps them). */
  errorBody(e: WireError): string;
}

/** `before`, the answer's text (n tokens) in batches, `after`; and its length in bytes. */
export function withText(
  before: string,
  n: number,
  after: string,
): { bytes: number; parts: Iterable<string> } {
  return {
    bytes: Buffer.byteLength(before) + contentLength(n) + Buffer.byteLength(after),
    parts: (function* () {
      yield before;
      yield* tokenBatches(0, n, contentSlice);
      yield after;
    })(),
  };
}

/** One server-sent event with a name (OpenAI Responses, Anthropic). */
export function namedEvent(name: string, data: string): string {
  return `event: ${name}\ndata: ${data}\n\n`;
}
