/**
 * What one request or one client may cost the emulator. A load test's clients are trusted, but a
 * typo (`max_tokens: 1e9`), a runaway script or a port scan must not take the emulator down or
 * stall the other clients: every size a request controls is capped, every connection has
 * deadlines, and past a limit the client gets an error in OpenAI's shape (docs/guide/emulator.md,
 * "Limits").
 */
export interface EmulatorLimits {
  /** Bytes of a request body; a larger one gets 413 (4 MiB: about a million prompt tokens). */
  maxBodyBytes: number;
  /**
   * Bytes of all request bodies being read at once (256 MiB); a chunk past it gets the request a
   * 503 `server_is_overloaded`. Without it 4,096 clients sending 4 MiB each would hold 16 GiB.
   */
  maxBufferedBodyBytes: number;
  /**
   * Output tokens of one completion, whatever the provider: a larger `max_tokens` gets 400, and a
   * request class's drawn output length is capped to it (32,768, the output limit of large
   * hosted models). A provider's context window still applies on top (400 context_length_exceeded).
   */
  maxOutputTokens: number;
  /** Open TCP connections; more are closed at once, without an answer (4,096). */
  maxConnections: number;
  /** Real ms for a client to send a request's headers (10 s); then 408. */
  headersTimeoutMs: number;
  /** Real ms for a client to send a whole request, headers and body (30 s); then 408. */
  requestTimeoutMs: number;
  /**
   * Real ms an idle keep-alive connection stays open (120 s): longer than the idle pools of
   * common clients (Go net/http and so k6: 90 s; Node's agent and undici follow the server's
   * `Keep-Alive: timeout` hint), so the client always closes an idle connection first. A server
   * that closes first races the client's next request on it: EOF, broken pipe or reset on a
   * reused connection. On Node 20 an idle connection's wait does not count against the headers
   * deadline (it starts with a request's first byte), so `headersTimeoutMs` stays short.
   */
  keepAliveTimeoutMs: number;
  /** Bytes of a request's headers (16 KiB); more get 431. */
  maxHeaderBytes: number;
  /** Headers of a request that are read (100); the rest are ignored. */
  maxHeadersCount: number;
}

export const DEFAULT_LIMITS: Readonly<EmulatorLimits> = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  maxBufferedBodyBytes: 256 * 1024 * 1024,
  maxOutputTokens: 32_768,
  maxConnections: 4096,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 120_000,
  maxHeaderBytes: 16 * 1024,
  maxHeadersCount: 100,
});

/**
 * The defaults with `overrides` applied. Throws on a value that is not a whole number >= 1, a
 * body budget smaller than one body, or a headers timeout longer than the request timeout (Node
 * refuses it).
 */
export function resolveLimits(overrides: Partial<EmulatorLimits> = {}): EmulatorLimits {
  const limits: EmulatorLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof EmulatorLimits)[]) {
    const v = overrides[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1)
      throw new Error(`limits.${key} must be a whole number >= 1, got ${String(v)}`);
    limits[key] = v;
  }
  if (limits.maxBufferedBodyBytes < limits.maxBodyBytes)
    throw new Error(
      `limits.maxBufferedBodyBytes (${limits.maxBufferedBodyBytes}) must be at least limits.maxBodyBytes (${limits.maxBodyBytes})`,
    );
  if (limits.headersTimeoutMs > limits.requestTimeoutMs)
    throw new Error(
      `limits.headersTimeoutMs (${limits.headersTimeoutMs}) must not exceed limits.requestTimeoutMs (${limits.requestTimeoutMs})`,
    );
  return limits;
}
