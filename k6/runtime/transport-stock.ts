/**
 * The stock-k6 transport: one `http.post` per try. k6/http reads the whole body before it
 * returns, so a streamed response cannot be timed token by token: the first token is taken as the
 * first response byte (blocked + connecting + TLS + sending + waiting, i.e. `timings.waiting`
 * after the connection), a proxy that reads low when the server sends its headers before the first
 * token. Token counts come from the usage the server reports (stream_options.include_usage in
 * chat completions), read in the request's dialect, and so is an error answer's kind.
 */
import http from 'k6/http';
import { errorKind, parseAnswer, promptTokens } from './dialect.ts';
import { retryAfterMs, type TryKind, type TryRequest, type TryResult } from './transport.ts';

/** k6 answers a request that ran out of time with error_code 1050. */
const K6_TIMEOUT_CODE = 1050;
/** Without a client timeout, still stop waiting at some point (k6's own default is 60 s). */
const NO_TIMEOUT_MS = 3_600_000;

export function stockTransport(req: TryRequest): TryResult {
  const started = Date.now();
  const res = http.post(req.url, req.body, {
    headers: req.headers,
    timeout: req.timeoutMs ?? NO_TIMEOUT_MS,
    tags: req.tags,
    responseType: 'text',
  });
  const totalMs = Date.now() - started;
  const t = res.timings;
  const timedOut = res.error_code === K6_TIMEOUT_CODE;
  const body = typeof res.body === 'string' ? res.body : '';
  const ok = res.status >= 200 && res.status < 300;
  const parsed = ok ? parseAnswer(req.api, body, req.stream) : null;
  // A 2xx stream may still end in an error event (Anthropic's overloaded_error after the 200).
  const kind: TryKind = timedOut
    ? 'timeout'
    : res.status === 0
      ? 'network'
      : parsed
        ? (parsed.error ?? (parsed.complete ? 'ok' : 'stream-cut'))
        : errorKind(req.api, res.status, body);
  return {
    kind,
    status: res.status,
    firstTokenMs:
      res.status > 0 ? t.blocked + t.connecting + t.tls_handshaking + t.sending + t.waiting : null,
    totalMs,
    gapsMs: [],
    chunks: parsed?.chunks ?? 0,
    inputTokens: parsed ? promptTokens(req.api, parsed) : null,
    outputTokens: parsed?.output ?? null,
    cachedTokens: parsed?.cached ?? null,
    retryAfterMs: res.status === 429 ? retryAfterMs(res.headers['Retry-After']) : null,
    error: res.error ?? '',
  };
}
